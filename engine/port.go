package engine

import "context"

// Ports lists the ports container s publishes.
func (e *Engine) Ports(ctx context.Context, s string) ([]PortMapping, error) {
	r, err := e.lookupRecord(s)
	if err != nil {
		return nil, err
	}
	return e.ports(ctx, r), nil
}

// ports are the ports r publishes: while it is attached to its network,
// with the host ports chosen for those asked as 0.
func (e *Engine) ports(ctx context.Context, r *containerRecord) []PortMapping {
	if len(r.Options.Publish) == 0 {
		return nil
	}
	if a := e.attachment(ctx, r); a != nil {
		return a.Ports
	}
	return r.Options.Publish
}
