package dev.prism.repository;

import dev.prism.tensor.RowBlock;

/**
 * A model's reference set for explanations by example, as read from its folder.
 *
 * @param rows   one reference case per row, one column per feature
 * @param labels one label per row, or null when the file has no label column
 */
public record ReferenceRows(RowBlock rows, double[] labels) {
    public ReferenceRows {
        if (labels != null && labels.length != rows.rows()) {
            throw new IllegalArgumentException(labels.length + " labels for " + rows.rows() + " reference rows");
        }
    }
}
