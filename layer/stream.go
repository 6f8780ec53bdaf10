package layer

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/berth-oci/berth/errdefs"
	digest "github.com/opencontainers/go-digest"

	_ "crypto/sha256" // register the digest algorithms go-digest names
	_ "crypto/sha512"
)

const chunkSize = 1 << 20

// counter counts and hashes what passes through it.
type counter struct {
	n int64
	d digest.Digester
}

func (c *counter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.d.Hash().Write(p)
}

// verifiedStream is the uncompressed tar of a layer blob. Decompression and
// hashing run in their own goroutine, a few chunks ahead of the reader, so
// that unpacking entries and inflating overlap on two cores. The blob digest
// covers every byte of the blob, the DiffID every byte of the tar, including
// what follows the end-of-archive marker: finish drains both.
type verifiedStream struct {
	blob, tar counter
	max       int64
	rawTee    io.Reader // the blob, hashed as it is read
	dec       io.ReadCloser

	chunks chan chunk
	free   chan []byte
	stop   chan struct{}
	wg     sync.WaitGroup
	cur    []byte
	pooled []byte
	err    error
}

type chunk struct {
	buf []byte
	n   int
	err error
}

func newVerifiedStream(r io.Reader, o *ApplyOptions) (*verifiedStream, error) {
	s := &verifiedStream{
		blob:   counter{d: algorithmOf(o.Digest).Digester()},
		tar:    counter{d: algorithmOf(o.DiffID).Digester()},
		max:    o.MaxSize,
		chunks: make(chan chunk, 4),
		free:   make(chan []byte, 6),
		stop:   make(chan struct{}),
	}
	s.rawTee = io.TeeReader(r, &s.blob)
	dec, err := Decompress(s.rawTee, o.MediaType)
	if err != nil {
		return nil, err
	}
	s.dec = dec
	s.wg.Add(1)
	go s.produce()
	return s, nil
}

func algorithmOf(d digest.Digest) digest.Algorithm {
	if d == "" {
		return digest.SHA256
	}
	return d.Algorithm()
}

// produce inflates and hashes chunks until the tar stream ends or fails.
func (s *verifiedStream) produce() {
	defer s.wg.Done()
	for {
		var buf []byte
		select {
		case buf = <-s.free:
		default:
			buf = make([]byte, chunkSize)
		}
		n, err := io.ReadFull(s.dec, buf)
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		if n > 0 {
			s.tar.Write(buf[:n])
			if s.max > 0 && s.tar.n > s.max {
				n, err = 0, fmt.Errorf("layer exceeds the limit of %d uncompressed bytes: %w", s.max, errdefs.ErrInvalidArgument)
			}
		}
		select {
		case s.chunks <- chunk{buf, n, err}:
		case <-s.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

func (s *verifiedStream) Read(p []byte) (int, error) {
	for len(s.cur) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		if s.pooled != nil {
			select {
			case s.free <- s.pooled:
			default:
			}
			s.pooled = nil
		}
		c := <-s.chunks
		s.cur, s.pooled, s.err = c.buf[:c.n], c.buf, c.err
		if s.err != nil && !errors.Is(s.err, io.EOF) && !errdefs.IsInvalidArgument(s.err) {
			s.err = fmt.Errorf("decompress layer: %w", s.err)
		}
	}
	n := copy(p, s.cur)
	s.cur = s.cur[n:]
	return n, nil
}

// finish reads what is left of the tar and of the blob, so that both
// digests cover everything, and stops the producer.
func (s *verifiedStream) finish() error {
	if _, err := io.CopyBuffer(io.Discard, readerOnly{s}, make([]byte, 32<<10)); err != nil {
		return fmt.Errorf("read the end of the layer: %w", err)
	}
	if _, err := io.Copy(io.Discard, s.rawTee); err != nil {
		return fmt.Errorf("read the end of the layer blob: %w", err)
	}
	return s.close()
}

// close stops the producer and waits for it, so the caller's reader is not
// read after Apply returns.
func (s *verifiedStream) close() error {
	select {
	case <-s.stop:
		return nil
	default:
	}
	close(s.stop)
	s.wg.Wait()
	if err := s.dec.Close(); err != nil {
		return fmt.Errorf("close decompressor: %w", err)
	}
	return nil
}

// verify compares what was read with what was expected.
func (s *verifiedStream) verify(wantDigest, wantDiffID digest.Digest) (ApplyResult, error) {
	res := ApplyResult{
		Digest:         s.blob.d.Digest(),
		DiffID:         s.tar.d.Digest(),
		CompressedSize: s.blob.n,
		Size:           s.tar.n,
	}
	if wantDigest != "" && res.Digest != wantDigest {
		return res, fmt.Errorf("layer blob digest is %s, expected %s: %w", res.Digest, wantDigest, errdefs.ErrDigestMismatch)
	}
	if wantDiffID != "" && res.DiffID != wantDiffID {
		return res, fmt.Errorf("layer diffID is %s, expected %s: %w", res.DiffID, wantDiffID, errdefs.ErrDigestMismatch)
	}
	return res, nil
}

type readerOnly struct{ io.Reader }
