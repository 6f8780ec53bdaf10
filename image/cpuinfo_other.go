//go:build !linux

package image

// cpuVariant cannot read the CPU variant outside Linux; "" lets Normalize
// pick the architecture's default.
func cpuVariant(string) string { return "" }
