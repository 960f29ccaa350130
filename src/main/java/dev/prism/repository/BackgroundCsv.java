package dev.prism.repository;

import dev.prism.tensor.RowBlock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads background rows from CSV: one row per line, comma-separated numbers, an optional header. */
public final class BackgroundCsv {
    private BackgroundCsv() {}

    public static RowBlock read(Path file, int width) throws IOException {
        List<String> lines = Files.readAllLines(file);
        List<double[]> rows = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] cells = line.split(",");
            if (rows.isEmpty() && i == firstNonEmpty(lines) && !isNumber(cells[0].strip())) {
                continue; // header
            }
            if (cells.length != width) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": " + cells.length
                        + " values, the model input has " + width);
            }
            double[] row = new double[width];
            for (int c = 0; c < width; c++) {
                String cell = cells[c].strip();
                if (!isNumber(cell)) {
                    throw new IllegalArgumentException(file + " line " + (i + 1) + ": '" + cell
                            + "' is not a number");
                }
                row[c] = Double.parseDouble(cell);
                if (!Double.isFinite(row[c])) {
                    throw new IllegalArgumentException(file + " line " + (i + 1) + ": non-finite value");
                }
            }
            rows.add(row);
        }
        if (rows.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no rows");
        }
        double[] data = new double[rows.size() * width];
        for (int r = 0; r < rows.size(); r++) {
            System.arraycopy(rows.get(r), 0, data, r * width, width);
        }
        return new RowBlock(rows.size(), width, data);
    }

    private static int firstNonEmpty(List<String> lines) {
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).isBlank()) {
                return i;
            }
        }
        return -1;
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
