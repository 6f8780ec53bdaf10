package runtime

// The nsenter constructor is C, and cgo makes every start of a Go binary
// slower: static glibc's start-up and cgo's thread creation cost ~0.5 ms
// per process here, twice per container (the runtime, then its init). So
// berth-runtime can be built without cgo for the common path, where the
// clone makes every namespace, carrying inside it a second build of itself
// with cgo, the joiner: the init of a container that joins namespaces by
// path (a mount or user namespace cannot be joined once the Go runtime
// runs threads) and of every exec. `make build` builds it so; a plain cgo
// build carries the constructor itself and needs no joiner.
var joinerBinary []byte

// RegisterJoiner hands the runtime the joiner's executable image. The
// main package of a build without cgo calls it from an init function.
func RegisterJoiner(b []byte) { joinerBinary = b }
