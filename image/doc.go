// Package image reads the JSON documents of OCI images and Docker schema 2
// images: it detects, parses and validates manifests, indexes, configs and
// descriptors, chooses a manifest for a platform, and converts Docker images
// to OCI. It holds no blobs and does no I/O beyond reading /proc/cpuinfo.
//
// Validation is the image-spec JSON schemas (embedded from the spec) plus the
// rules of the spec text they cannot express: digest encodings, embedded data,
// artifactType and subject, annotation formats, platforms, rootfs, and the
// I-JSON rules (UTF-8, no duplicate names, numbers within doubles). Errors are
// *InvalidError values that name every offending field:
//
//	manifest: layers[2].size: -1 is negative
//	index: manifests[0].digest "sha256:xyz": invalid encoding: sha256 wants 64 lowercase hex digits
//
// Where the spec says SHOULD, or says an implementation must not fail on the
// unknown, berth accepts: digests of unregistered algorithms that fit the
// grammar, unknown media types of configs, layers and index entries, unknown
// os and architecture values (buildkit's "unknown"), keys that are not
// reverse-domain, and a manifest without layers (the schema's minItems is
// stricter than manifest.md, and umoci and buildah write such images).
// Docker schema 1 is refused with ErrSchema1.
package image
