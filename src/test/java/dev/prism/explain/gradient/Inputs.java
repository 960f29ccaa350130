package dev.prism.explain.gradient;

import dev.prism.explain.ExplainInput;
import dev.prism.explain.FeatureGroups;
import dev.prism.explain.Link;
import dev.prism.model.Background;
import dev.prism.tensor.RowBlock;
import java.util.ArrayList;
import java.util.List;

/** Inputs of the gradient explainers' tests: instances as rows, references, every element a feature. */
final class Inputs {
    private Inputs() {}

    /** Every element a feature, every output explained, against the given reference rows. */
    static ExplainInput input(double[][] x, Background references, boolean baseline, int outputs) {
        return input(x, references, baseline, singletons(x[0].length), outputs);
    }

    static ExplainInput input(double[][] x, Background references, boolean baseline, FeatureGroups groups,
                              int outputs) {
        int[] columns = new int[outputs];
        for (int k = 0; k < outputs; k++) {
            columns[k] = k;
        }
        return new ExplainInput(rows(x), references, baseline, groups, columns, Link.IDENTITY, 0);
    }

    static Background baseline(double... values) {
        return Background.uniform(new RowBlock(1, values.length, values.clone()));
    }

    static RowBlock rows(double[][] values) {
        int width = values[0].length;
        double[] data = new double[values.length * width];
        for (int r = 0; r < values.length; r++) {
            System.arraycopy(values[r], 0, data, r * width, width);
        }
        return new RowBlock(values.length, width, data);
    }

    static FeatureGroups singletons(int elements) {
        List<String> names = new ArrayList<>();
        for (int e = 0; e < elements; e++) {
            names.add("f" + e);
        }
        return FeatureGroups.singletons(names);
    }
}
