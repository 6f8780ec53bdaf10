package image

import (
	"fmt"
	"strings"

	"github.com/berth-oci/berth/errdefs"
)

// ErrSchema1 is returned for Docker's schema 1 manifests. They carry no
// content-addressed config, so berth refuses them rather than guess one.
// errors.Is(err, ErrSchema1) and errdefs.IsNotImplemented(err) both hold.
var ErrSchema1 error = schema1Error{}

type schema1Error struct{}

func (schema1Error) Error() string { return "docker schema1 manifests are not supported" }
func (schema1Error) Unwrap() error { return errdefs.ErrNotImplemented }

func schema1(why string) error {
	return fmt.Errorf("%w: %s; push the image again as schema2 or OCI", ErrSchema1, why)
}

// Problem is one broken rule: the JSON path of the field, its offending value
// when showing it helps, and what is wrong with it.
type Problem struct {
	Field string // "layers[2].size"; empty for the document as a whole
	Value string // printed quoted after Field when set
	Msg   string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Field)
	if p.Value != "" {
		if p.Field != "" {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%q", p.Value)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// InvalidError lists every rule a document broke. It unwraps to
// errdefs.ErrInvalidArgument and prints on one line:
//
//	manifest: layers[2].size: -1 is negative
type InvalidError struct {
	Doc      string // "manifest", "index", "config", "descriptor", ...
	Problems []Problem
}

// maxShown bounds the message: a hostile document can break a rule a
// million times, and one line should stay readable.
const maxShown = 8

func (e *InvalidError) Error() string {
	parts := make([]string, 0, min(len(e.Problems), maxShown)+1)
	for i, p := range e.Problems {
		if i == maxShown {
			parts = append(parts, fmt.Sprintf("and %d more", len(e.Problems)-maxShown))
			break
		}
		parts = append(parts, p.String())
	}
	return e.Doc + ": " + strings.Join(parts, "; ")
}

func (e *InvalidError) Unwrap() error { return errdefs.ErrInvalidArgument }

// problems collects the broken rules of one document.
type problems struct {
	doc  string
	list []Problem
}

func (p *problems) add(field, format string, args ...any) {
	p.list = append(p.list, Problem{Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (p *problems) addValue(field, value, format string, args ...any) {
	p.list = append(p.list, Problem{Field: field, Value: value, Msg: fmt.Sprintf(format, args...)})
}

// covered returns the fields at which, or below which, a problem is
// recorded, so that the schema does not repeat what a semantic rule said
// better: "layers[0].size" covers itself, "layers[0]" and "layers".
func (p *problems) covered() map[string]bool {
	set := map[string]bool{}
	for _, q := range p.list {
		f := q.Field
		set[f] = true
		for i := len(f) - 1; i > 0; i-- {
			if f[i] == '.' || f[i] == '[' {
				set[f[:i]] = true
			}
		}
	}
	return set
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &InvalidError{Doc: p.doc, Problems: p.list}
}

// join builds a field path: join("layers[2]", "size") is "layers[2].size".
func join(parent, child string) string {
	if parent == "" {
		return child
	}
	return parent + "." + child
}

// index builds an element path: index("layers", 2) is "layers[2]".
func index(field string, i int) string {
	return fmt.Sprintf("%s[%d]", field, i)
}
