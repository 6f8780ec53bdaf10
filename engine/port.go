package engine

import "context"

// Ports lists the ports container s publishes.
func (e *Engine) Ports(ctx context.Context, s string) ([]PortMapping, error) {
	r, err := e.lookupRecord(s)
	if err != nil {
		return nil, err
	}
	return r.Options.Publish, nil
}
