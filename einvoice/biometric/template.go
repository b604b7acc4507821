package biometric

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Dim is the length of every template: 128 features, the size of a
// FaceNet embedding.
const Dim = 128

// DefaultThreshold is the largest cosine distance 1 − cos∠(A, B) at which
// Match accepts two templates as one face. See docs/einvoice-biometrics.md
// for the FAR/FRR this gives under the synthetic noise model.
const DefaultThreshold = 0.55

// maxTemplateFile bounds what ReadTemplate reads: 128 numbers in any
// sensible notation fit easily.
const maxTemplateFile = 64 << 10

// Template is a face feature vector of Dim finite numbers with a non-zero
// norm. Match and the fuzzy extractor depend only on its direction, so a
// template need not be normalised.
type Template []float32

// Validate reports whether t has Dim finite components and a non-zero norm.
func (t Template) Validate() error {
	if len(t) != Dim {
		return fmt.Errorf("%w: %d components, want %d", ErrTemplate, len(t), Dim)
	}
	var sum float64
	for i, v := range t {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%w: component %d is %v", ErrTemplate, i, v)
		}
		sum += f * f
	}
	if sum == 0 || math.IsInf(sum, 0) {
		return fmt.Errorf("%w: norm is %v", ErrTemplate, math.Sqrt(sum))
	}
	return nil
}

// Normalized returns t scaled to unit Euclidean norm.
func (t Template) Normalized() Template {
	n := norm(t)
	out := make(Template, len(t))
	for i, v := range t {
		out[i] = float32(float64(v) / n)
	}
	return out
}

func norm(t Template) float64 {
	var sum float64
	for _, v := range t {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum)
}

// CosineDistance returns 1 − cos∠(a, b), in [0, 2]: 0 for the same
// direction, 1 for orthogonal templates (two unrelated random faces are
// close to 1 in 128 dimensions). For unit vectors it is half the squared
// Euclidean distance.
func CosineDistance(a, b Template) (float64, error) {
	if err := a.Validate(); err != nil {
		return 0, err
	}
	if err := b.Validate(); err != nil {
		return 0, err
	}
	return cosineDistance(a, b), nil
}

func cosineDistance(a, b Template) float64 {
	var dot float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
	}
	return 1 - dot/(norm(a)*norm(b))
}

// Match compares the features of the ID-card photo with those of the live
// capture: ok when their cosine distance is at most DefaultThreshold. An
// invalid template never matches (distance is then +Inf).
func Match(idPhoto, live Template) (distance float64, ok bool) {
	return MatchThreshold(idPhoto, live, DefaultThreshold)
}

// MatchThreshold is Match with the caller's threshold.
func MatchThreshold(idPhoto, live Template, threshold float64) (distance float64, ok bool) {
	d, err := CosineDistance(idPhoto, live)
	if err != nil {
		return math.Inf(1), false
	}
	return d, d <= threshold
}

// ReadTemplate parses a feature-vector file. Two formats are accepted:
//
//   - one JSON array of Dim numbers, e.g. [0.0123, -0.0456, ...];
//   - Dim decimal numbers, one per line (blank lines and lines starting
//     with '#' are ignored).
//
// The numbers are parsed as float64 and rounded to float32. A wrong
// count, a NaN or infinity, a zero vector or a file over 64 KiB is an
// error wrapping ErrTemplate.
func ReadTemplate(r io.Reader) (Template, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxTemplateFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxTemplateFile {
		return nil, fmt.Errorf("%w: file larger than %d bytes", ErrTemplate, maxTemplateFile)
	}
	trimmed := bytes.TrimSpace(data)
	var vals []float64
	if len(trimmed) > 0 && trimmed[0] == '[' {
		vals, err = parseJSONArray(trimmed)
	} else {
		vals, err = parseLines(data)
	}
	if err != nil {
		return nil, err
	}
	t := make(Template, len(vals))
	for i, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 {
			return nil, fmt.Errorf("%w: component %d is %v (not a finite float32)", ErrTemplate, i, v)
		}
		t[i] = float32(v)
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

func parseJSONArray(b []byte) ([]float64, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var raw []any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: not a JSON array of numbers: %v", ErrTemplate, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON array", ErrTemplate)
	}
	out := make([]float64, len(raw))
	for i, x := range raw {
		n, ok := x.(json.Number)
		if !ok {
			return nil, fmt.Errorf("%w: component %d is %T, not a number", ErrTemplate, i, x)
		}
		v, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			return nil, fmt.Errorf("%w: component %d: %v", ErrTemplate, i, err)
		}
		out[i] = v
	}
	return out, nil
}

func parseLines(b []byte) ([]float64, error) {
	var out []float64
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %q is not a number", ErrTemplate, line, s)
		}
		if len(out) == Dim {
			return nil, fmt.Errorf("%w: more than %d numbers (line %d)", ErrTemplate, Dim, line)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTemplate, err)
	}
	return out, nil
}
