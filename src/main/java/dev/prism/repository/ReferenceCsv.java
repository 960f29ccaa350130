package dev.prism.repository;

import dev.prism.tensor.RowBlock;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads a reference set from CSV: one row per line, comma-separated numbers, an optional header,
 * one column per feature and, when a label column is named, that column (found by its header name)
 * as the row's label. Read line by line into growing arrays, so a large file costs its numbers and
 * not its text; past the row limit the read stops and fails.
 */
final class ReferenceCsv {
    private ReferenceCsv() {}

    /**
     * @param width       the features of a row
     * @param labelColumn the header name of the label column, or null for none
     * @param maxRows     the most rows the file may hold
     */
    static ReferenceRows read(Path file, int width, String labelColumn, int maxRows) throws IOException {
        int columns = labelColumn == null ? width : width + 1;
        int labelAt = -1;
        double[] data = new double[Math.multiplyExact(width, 1024)];
        double[] labels = labelColumn == null ? null : new double[1024];
        int rows = 0;
        boolean first = true;
        try (BufferedReader in = Files.newBufferedReader(file)) {
            int lineNumber = 0;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lineNumber++;
                line = line.strip();
                if (line.isEmpty()) {
                    continue;
                }
                String[] cells = line.split(",", -1);
                if (first) {
                    first = false;
                    boolean header = !isNumber(cells[0].strip());
                    if (labelColumn != null) {
                        if (!header) {
                            throw new IllegalArgumentException(file + " has no header line, so its label column '"
                                    + labelColumn + "' (reference_label_column) cannot be found");
                        }
                        for (int c = 0; c < cells.length; c++) {
                            if (cells[c].strip().equals(labelColumn)) {
                                labelAt = c;
                            }
                        }
                        if (labelAt < 0) {
                            throw new IllegalArgumentException(file + ": the header has no column '" + labelColumn
                                    + "' (reference_label_column)");
                        }
                    }
                    if (header) {
                        if (cells.length != columns) {
                            throw new IllegalArgumentException(file + " line " + lineNumber + ": " + cells.length
                                    + " columns, expected " + columns + describe(width, labelColumn));
                        }
                        continue;
                    }
                }
                if (cells.length != columns) {
                    throw new IllegalArgumentException(file + " line " + lineNumber + ": " + cells.length
                            + " values, expected " + columns + describe(width, labelColumn));
                }
                if (rows == maxRows) {
                    throw new IllegalArgumentException(file + " holds more than " + maxRows
                            + " rows, the server's --max-reference-rows");
                }
                if ((long) (rows + 1) * width > data.length) {
                    data = Arrays.copyOf(data, Math.multiplyExact(Math.max(rows * 2, 1024), width));
                }
                if (labels != null && rows == labels.length) {
                    labels = Arrays.copyOf(labels, rows * 2);
                }
                for (int c = 0, feature = 0; c < columns; c++) {
                    double v = parse(file, lineNumber, cells[c].strip());
                    if (c == labelAt) {
                        labels[rows] = v;
                    } else {
                        data[rows * width + feature++] = v;
                    }
                }
                rows++;
            }
        }
        if (rows == 0) {
            throw new IllegalArgumentException(file + " holds no rows");
        }
        return new ReferenceRows(new RowBlock(rows, width, Arrays.copyOf(data, rows * width)),
                labels == null ? null : Arrays.copyOf(labels, rows));
    }

    private static String describe(int width, String labelColumn) {
        return " (" + width + " features" + (labelColumn == null ? "" : " and the label column") + ")";
    }

    private static double parse(Path file, int line, String cell) {
        if (!isNumber(cell)) {
            throw new IllegalArgumentException(file + " line " + line + ": '" + cell + "' is not a number");
        }
        double v = Double.parseDouble(cell);
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException(file + " line " + line + ": non-finite value");
        }
        return v;
    }

    private static boolean isNumber(String s) {
        try {
            Double.parseDouble(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
