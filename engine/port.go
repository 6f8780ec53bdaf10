package engine

import "context"

// Ports lists the ports container s publishes.
func (e *Engine) Ports(ctx context.Context, s string) ([]PortMapping, error) {
	r, err := e.lookupRecord(s)
	if err != nil {
		return nil, err
	}
	if a := e.attachment(ctx, r); a != nil {
		return a.Ports, nil // with the host ports chosen for 0
	}
	return r.Options.Publish, nil
}
