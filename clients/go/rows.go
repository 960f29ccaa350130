package prism

import (
	"fmt"

	"prism.dev/prism/clients/go/prismpb"
)

// instanceCount is the number of instances in a request's inputs: the first
// dimension, which every input must share. It also checks that each field
// carrying values holds whole rows of the shape, so that rowsOf cannot cut a
// row in two.
func instanceCount(inputs []*prismpb.Tensor) (int, error) {
	if len(inputs) == 0 {
		return 0, fmt.Errorf("prism: the request has no inputs")
	}
	count := -1
	for _, t := range inputs {
		shape := t.GetShape()
		if len(shape) == 0 || shape[0] < 1 {
			return 0, fmt.Errorf("prism: input %q has shape %v: it needs a first dimension of at least one instance", t.GetName(), shape)
		}
		if count >= 0 && shape[0] != int64(count) {
			return 0, fmt.Errorf("prism: input %q has %d instances, the first input has %d", t.GetName(), shape[0], count)
		}
		count = int(shape[0])
		for _, d := range shape[1:] {
			if d < 1 {
				return 0, fmt.Errorf("prism: input %q has shape %v: every dimension must be at least 1", t.GetName(), shape)
			}
		}
		width := rowWidth(t)
		for _, n := range []int{len(t.GetFloatData()), len(t.GetDoubleData()), len(t.GetIntData()), len(t.GetInt64Data())} {
			if n != 0 && n != count*width {
				return 0, fmt.Errorf("prism: input %q has %d values for shape %v", t.GetName(), n, shape)
			}
		}
		if raw := len(t.GetRawData()); raw != 0 {
			size := elementSize(t.GetDtype())
			if size == 0 {
				return 0, fmt.Errorf("prism: input %q has raw_data without a dtype", t.GetName())
			}
			if raw != count*width*size {
				return 0, fmt.Errorf("prism: input %q has %d raw bytes for shape %v of %s", t.GetName(), raw, shape, t.GetDtype())
			}
		}
	}
	return count, nil
}

// rowsOf is t's instances [start, stop): t with that first dimension and the
// rows' values in whichever fields carry them. The values are views of t's,
// not copies. t must have passed instanceCount.
func rowsOf(t *prismpb.Tensor, start, stop int) *prismpb.Tensor {
	width := rowWidth(t)
	rows := &prismpb.Tensor{
		Name:  t.GetName(),
		Dtype: t.GetDtype(),
		Shape: append([]int64{int64(stop - start)}, t.GetShape()[1:]...),
	}
	lo, hi := start*width, stop*width
	if len(t.GetFloatData()) > 0 {
		rows.FloatData = t.GetFloatData()[lo:hi]
	}
	if len(t.GetDoubleData()) > 0 {
		rows.DoubleData = t.GetDoubleData()[lo:hi]
	}
	if len(t.GetIntData()) > 0 {
		rows.IntData = t.GetIntData()[lo:hi]
	}
	if len(t.GetInt64Data()) > 0 {
		rows.Int64Data = t.GetInt64Data()[lo:hi]
	}
	if len(t.GetRawData()) > 0 {
		size := elementSize(t.GetDtype())
		rows.RawData = t.GetRawData()[lo*size : hi*size]
	}
	return rows
}

// rowWidth is the number of values in one instance: the product of the
// dimensions after the first.
func rowWidth(t *prismpb.Tensor) int {
	width := 1
	for _, d := range t.GetShape()[1:] {
		width *= int(d)
	}
	return width
}

// elementSize is the bytes of one raw_data value of dtype; 0 when unknown.
func elementSize(dtype prismpb.DataType) int {
	switch dtype {
	case prismpb.DataType_DATA_TYPE_FLOAT32, prismpb.DataType_DATA_TYPE_INT32:
		return 4
	case prismpb.DataType_DATA_TYPE_FLOAT64, prismpb.DataType_DATA_TYPE_INT64:
		return 8
	}
	return 0
}
