package dev.prism.cli;

import dev.prism.api.v1.ExplainResponse;
import dev.prism.api.v1.Explanation;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The command line's CSV: instances in (numbers, an optional first line of names), attributions out. */
final class InstancesCsv {
    private InstancesCsv() {}

    /**
     * @throws IllegalArgumentException naming the line, for a value that is not a number, a row of
     *                                  another width, or a file without rows
     */
    static List<double[]> read(Path file) throws IOException {
        List<double[]> rows = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                String[] cells = line.split(",", -1);
                double[] row = new double[cells.length];
                boolean names = false;
                for (int i = 0; i < cells.length && !names; i++) {
                    try {
                        row[i] = Double.parseDouble(cells[i].strip());
                    } catch (NumberFormatException e) {
                        if (number > 1 || !rows.isEmpty()) {
                            throw new IllegalArgumentException("line " + number + ": '" + echoed(cells[i])
                                    + "' is not a number");
                        }
                        names = true;
                    }
                }
                if (names) {
                    continue;
                }
                if (!rows.isEmpty() && row.length != rows.get(0).length) {
                    throw new IllegalArgumentException("line " + number + " has " + row.length + " values, the first"
                            + " row " + rows.get(0).length);
                }
                rows.add(row);
            }
        }
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("it holds no instances");
        }
        return rows;
    }

    /** One line per instance and output: instance, output, base_value, model_output, then one column per feature. */
    static void writeAttributions(PrintStream out, ExplainResponse r) {
        StringBuilder header = new StringBuilder("instance,output,base_value,model_output");
        r.getFeatureNamesList().forEach(f -> header.append(',').append(quoted(f)));
        out.println(header);
        for (Explanation e : r.getExplanationsList()) {
            StringBuilder line = new StringBuilder().append(e.getInstance()).append(',').append(quoted(e.getOutput()))
                    .append(',').append(number(e.getBaseValue())).append(',').append(number(e.getModelOutput()));
            e.getAttributionsList().forEach(a -> line.append(',').append(number(a)));
            out.println(line);
        }
        out.flush();
    }

    /** Shortest text that reads back as the same double. */
    private static String number(double v) {
        return Double.toString(v).toLowerCase(Locale.ROOT);
    }

    private static String quoted(String cell) {
        return cell.contains(",") || cell.contains("\"") ? "\"" + cell.replace("\"", "\"\"") + "\"" : cell;
    }

    /** A cell as echoed in a message: at most 32 characters. */
    private static String echoed(String cell) {
        String s = cell.strip();
        return s.length() > 32 ? s.substring(0, 32) + "..." : s;
    }
}
