package runtime

import (
	"context"

	"github.com/berth-oci/berth/runtime/linux/hooks"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// runCreateHooks runs the hooks of the runtime namespace that come after
// the mounts and before the pivot: prestart (deprecated) then createRuntime.
func (r *Runtime) runCreateHooks(ctx context.Context, rec *record) error {
	h := rec.Spec.Hooks
	state := r.hookState(rec, specs.StateCreating)
	if err := hooks.Run(ctx, "prestart", h.Prestart, state); err != nil {
		return err
	}
	return hooks.Run(ctx, "createRuntime", h.CreateRuntime, state)
}

// runPoststart runs after the user process started; a failure stops the
// container (runtime.md, lifecycle step 9).
func (r *Runtime) runPoststart(ctx context.Context, rec *record) error {
	if rec.Spec.Hooks == nil {
		return nil
	}
	return hooks.Run(ctx, "poststart", rec.Spec.Hooks.Poststart, r.hookState(rec, specs.StateRunning))
}

// runPoststop runs after the container is gone; a failure is a warning.
func (r *Runtime) runPoststop(rec *record) {
	if rec.Spec.Hooks == nil {
		return
	}
	for _, err := range hooks.RunEach(context.Background(), "poststop", rec.Spec.Hooks.Poststop, r.hookState(rec, specs.StateStopped)) {
		r.log().Warn(err.Error(), "id", rec.ID)
	}
}
