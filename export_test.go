package kazoo

import "context"

// ApplyConfig feeds t a configuration, as if read from ConfigPath: for
// tests of configurations a real server does not produce.
func (t *EnsembleTracker) ApplyConfig(ctx context.Context, data []byte) { t.apply(ctx, data) }
