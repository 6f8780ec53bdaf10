// Package layer applies OCI and Docker layer changesets to a directory and
// writes the changeset between two trees as a layer.
//
// # Applying
//
// Apply reads one layer blob (a tar, optionally gzip or zstd compressed),
// verifies it while it streams (the digest of the blob and the DiffID of the
// uncompressed tar), and applies it onto a root directory: entries are
// created, whiteouts remove what lower layers left there, and nothing is ever
// written outside the root. Every path is resolved inside the root by the
// kernel (openat2 with RESOLVE_IN_ROOT) or, on kernels without openat2, by a
// component-by-component walk that never follows a symlink out of the root.
// All writes go through one seam (rootFS) so the rules live in one place.
//
// The contract with the caller: the digests are known only once the whole
// blob has been read, so a mismatch is reported after the entries have been
// written. Apply into a fresh temporary directory (or a copy of the parent
// snapshot) and rename it into place only when Apply returns nil; on any
// error, remove the temporary directory. Apply does not fsync: a caller that
// needs durability syncs once (syncfs) before the rename.
//
// # Diffing
//
// Diff compares a base tree with a changed tree (or reads an overlayfs upper
// directory) and writes the changes as a deterministic layer: the same change
// gives the same DiffID and digest every time.
package layer
