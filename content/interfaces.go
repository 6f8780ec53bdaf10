// Package content defines berth's content-addressed blob store: blobs named
// by the digest of their bytes, written once after verification and read
// many times. A store is composed of three small interfaces, Provider
// (read), Ingester (write) and Manager (list, delete), so a caller asks for
// only what it uses. Package content/local implements them on a directory
// laid out as an OCI image layout's blobs/; package content/testsuite holds
// the tests every implementation must pass.
//
// Every method reports failures with the kinds of package errdefs, wrapped
// with context, so callers test them with errors.Is.
package content

import (
	"context"
	"io"
	"time"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Info describes a committed blob.
type Info struct {
	// Digest names the blob; its bytes hash to it.
	Digest digest.Digest
	// Size is the length of the blob in bytes.
	Size int64
	// CreatedAt is when the blob was committed (its modification time on
	// disk for the directory store).
	CreatedAt time.Time
}

// Provider reads committed blobs. Blobs written through an Ingester were
// verified on the way in; a store shared with other tools (an image layout
// that skopeo or umoci also writes) may hold files they wrote, so a reader
// that must be sure verifies what it reads, as ReadBlob does.
type Provider interface {
	// ReaderAt opens the blob desc.Digest. Only desc.Digest is consulted: the
	// size and media type are the caller's to check (ReadBlob does). It
	// returns an error wrapping errdefs.ErrNotFound when the blob is absent
	// and errdefs.ErrInvalidArgument when desc.Digest is malformed. The
	// caller must Close the reader.
	ReaderAt(ctx context.Context, desc ocispec.Descriptor) (ReaderAt, error)

	// Info describes the blob dgst, or returns an error wrapping
	// errdefs.ErrNotFound when it is absent and errdefs.ErrInvalidArgument
	// when dgst is malformed.
	Info(ctx context.Context, dgst digest.Digest) (Info, error)
}

// ReaderAt gives random access to one committed blob. It is safe for
// concurrent ReadAt calls.
type ReaderAt interface {
	io.ReaderAt
	io.Closer
	// Size is the length of the blob in bytes.
	Size() int64
}

// Ingester writes blobs.
//
// The lifecycle of a write:
//
//  1. Writer(ctx, desc) opens a write of the blob desc.Digest. desc.Size is
//     the expected length; -1 means unknown, in which case only the digest is
//     checked. Any other negative size, and a malformed or unsupported
//     digest, is refused with errdefs.ErrInvalidArgument before anything
//     touches storage. When the blob is committed already, Writer returns an
//     error wrapping errdefs.ErrAlreadyExists and no Writer, so the caller
//     can skip the download.
//  2. The caller writes the blob's bytes in order. Offset starts at 0 and
//     counts the bytes accepted, so a caller whose download drops halfway
//     can keep the Writer and ask for the rest (an HTTP Range request from
//     Offset) instead of starting over. Bytes are hashed as they arrive. A
//     write that would go past desc.Size fails at once with an error
//     wrapping errdefs.ErrDigestMismatch.
//  3. Commit verifies the size and the digest, makes the bytes durable
//     (fsync) and moves them into place atomically: a nil error means the
//     content is stored at desc.Digest and readers see either all of it or
//     nothing. A wrong size (shorter or longer) or wrong digest returns an
//     error wrapping errdefs.ErrDigestMismatch and leaves nothing behind,
//     neither a blob nor a partial write. Committing a blob that another
//     writer committed meanwhile succeeds (writes are idempotent). After
//     Commit returns, successful or not, the write is over: Write and Commit
//     fail with errdefs.ErrFailedPrecondition.
//  4. Close releases the writer. Close without a successful Commit
//     discards the bytes written: nothing becomes visible and nothing is
//     left in storage. Close after Commit, and a second Close, do nothing.
//     Close must always be called.
//
// Concurrent writers of the same digest are safe: each gets its own Writer,
// and whichever commits first wins; the others' commits succeed too.
type Ingester interface {
	Writer(ctx context.Context, desc ocispec.Descriptor) (Writer, error)
}

// Writer is one write of one blob; see Ingester for its lifecycle. A Writer
// is used by one goroutine at a time.
type Writer interface {
	io.Writer
	// Offset is how many bytes Write has accepted: where the next byte of
	// the blob goes.
	Offset() int64
	// Commit verifies and publishes the blob (see Ingester).
	Commit(ctx context.Context) error
	// Close releases the writer, discarding an uncommitted write.
	Close() error
}

// Manager lists and removes committed blobs.
type Manager interface {
	// Walk calls fn for every committed blob, in no particular order, and
	// never for a write in progress. An error from fn stops the walk and is
	// returned as is. Blobs committed or deleted during the walk may or may
	// not be seen.
	Walk(ctx context.Context, fn func(Info) error) error

	// Delete removes the blob dgst. It returns an error wrapping
	// errdefs.ErrNotFound when the blob is absent. Readers that opened the
	// blob before keep reading it.
	Delete(ctx context.Context, dgst digest.Digest) error
}

// Store is a complete content store.
type Store interface {
	Provider
	Ingester
	Manager
}

// IngestPruner is implemented by stores that keep unfinished writes in
// storage, where a process killed mid-write leaves them behind. PruneIngests
// removes those that no live Writer (of any process) holds and returns how
// many it removed; it never disturbs a write in progress. GC calls it when
// the store implements it.
type IngestPruner interface {
	PruneIngests(ctx context.Context) (int, error)
}
