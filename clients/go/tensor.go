package prism

import (
	"encoding/binary"
	"fmt"
	"math"

	"prism.dev/prism/clients/go/prismpb"
)

// Float64Values returns a tensor's values as float64, from whichever of
// double_data, float_data, int_data, int64_data or raw_data carries them,
// checked against the shape.
func Float64Values(t *prismpb.Tensor) ([]float64, error) {
	var values []float64
	switch {
	case len(t.GetRawData()) > 0:
		raw := t.GetRawData()
		switch t.GetDtype() {
		case prismpb.DataType_DATA_TYPE_FLOAT64:
			if len(raw)%8 != 0 {
				return nil, fmt.Errorf("prism: tensor %q: %d raw bytes are not whole FLOAT64 values", t.GetName(), len(raw))
			}
			for i := 0; i < len(raw); i += 8 {
				values = append(values, math.Float64frombits(binary.LittleEndian.Uint64(raw[i:])))
			}
		case prismpb.DataType_DATA_TYPE_FLOAT32:
			if len(raw)%4 != 0 {
				return nil, fmt.Errorf("prism: tensor %q: %d raw bytes are not whole FLOAT32 values", t.GetName(), len(raw))
			}
			for i := 0; i < len(raw); i += 4 {
				values = append(values, float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[i:]))))
			}
		default:
			return nil, fmt.Errorf("prism: tensor %q: raw_data of dtype %s is not floating point", t.GetName(), t.GetDtype())
		}
	case len(t.GetDoubleData()) > 0:
		values = t.GetDoubleData()
	case len(t.GetFloatData()) > 0:
		values = widen(t.GetFloatData())
	case len(t.GetIntData()) > 0:
		values = widen(t.GetIntData())
	case len(t.GetInt64Data()) > 0:
		values = widen(t.GetInt64Data())
	}
	size := int64(1)
	for _, d := range t.GetShape() {
		size *= d
	}
	if int64(len(values)) != size {
		return nil, fmt.Errorf("prism: tensor %q has %d values for shape %v", t.GetName(), len(values), t.GetShape())
	}
	return values, nil
}

func widen[T float32 | int32 | int64](in []T) []float64 {
	out := make([]float64, len(in))
	for i, v := range in {
		out[i] = float64(v)
	}
	return out
}

func checkShape(t *prismpb.Tensor, want ...int) ([]float64, error) {
	shape := t.GetShape()
	ok := len(shape) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = shape[i] == int64(want[i])
	}
	if !ok {
		return nil, fmt.Errorf("prism: tensor %q has shape %v, want %v", t.GetName(), shape, want)
	}
	return Float64Values(t)
}

func matrix(t *prismpb.Tensor, rows, cols int) ([][]float64, error) {
	values, err := checkShape(t, rows, cols)
	if err != nil {
		return nil, err
	}
	return split(values, rows, t.GetName())
}

func cube(t *prismpb.Tensor, n, rows, cols int) ([][][]float64, error) {
	values, err := checkShape(t, n, rows, cols)
	if err != nil {
		return nil, err
	}
	out := make([][][]float64, n)
	for i := range out {
		if out[i], err = split(values[i*rows*cols:(i+1)*rows*cols], rows, t.GetName()); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// hypercube reads a [n, f, f, cols] tensor.
func hypercube(t *prismpb.Tensor, n, f, cols int) ([][][][]float64, error) {
	values, err := checkShape(t, n, f, f, cols)
	if err != nil {
		return nil, err
	}
	out := make([][][][]float64, n)
	block := f * f * cols
	for i := range out {
		out[i] = make([][][]float64, f)
		for a := range out[i] {
			start := i*block + a*f*cols
			if out[i][a], err = split(values[start:start+f*cols], f, t.GetName()); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// split cuts values into n equal rows.
func split(values []float64, n int, name string) ([][]float64, error) {
	if n < 1 || len(values)%n != 0 {
		return nil, fmt.Errorf("prism: tensor %q: %d values do not split into %d rows", name, len(values), n)
	}
	width := len(values) / n
	out := make([][]float64, n)
	for i := range out {
		out[i] = values[i*width : (i+1)*width : (i+1)*width]
	}
	return out, nil
}
