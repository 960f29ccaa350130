package dev.prism.explain;

import dev.prism.model.Background;
import dev.prism.tensor.RowBlock;

/**
 * What to explain: instances (one flattened instance per row), the rows masked features take their
 * values from, the features (groups of elements), which score columns to explain, the link and
 * the seed.
 *
 * @param background the replacement rows: the weighted background, or a single baseline row
 * @param baseline   true when {@code background} is a baseline rather than a sample of the data
 * @param outputs    model score columns to explain, in response order
 */
public record ExplainInput(RowBlock instances, Background background, boolean baseline, FeatureGroups groups,
                           int[] outputs, Link link, long seed) {
    public ExplainInput {
        if (instances.width() != background.rows().width()) {
            throw new IllegalArgumentException("instances have " + instances.width()
                    + " features, the background " + background.rows().width());
        }
        if (groups.elements() != instances.width()) {
            throw new IllegalArgumentException("groups cover " + groups.elements() + " elements, instances have "
                    + instances.width());
        }
        outputs = outputs.clone();
    }

    /** Plain tabular features against a background. */
    public ExplainInput(RowBlock instances, Background background, int[] outputs, Link link, long seed) {
        this(instances, background, false, FeatureGroups.singletons(defaultNames(instances.width())), outputs,
                link, seed);
    }

    private static java.util.List<String> defaultNames(int n) {
        java.util.List<String> names = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            names.add("f" + i);
        }
        return names;
    }

    @Override
    public int[] outputs() {
        return outputs.clone();
    }

    public int output(int k) {
        return outputs[k];
    }

    public int outputCount() {
        return outputs.length;
    }

    /** Features of the explanation: the number of groups. */
    public int featureCount() {
        return groups.count();
    }
}
