package dev.prism.explain;

import dev.prism.model.Background;
import dev.prism.tensor.RowBlock;

/**
 * What to explain: instances (one flattened instance per row), the background they are compared
 * with, which score columns to explain, the link and the seed.
 *
 * @param outputs model score columns to explain, in response order
 */
public record ExplainInput(RowBlock instances, Background background, int[] outputs, Link link, long seed) {
    public ExplainInput {
        if (instances.width() != background.rows().width()) {
            throw new IllegalArgumentException("instances have " + instances.width()
                    + " features, the background " + background.rows().width());
        }
        outputs = outputs.clone();
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

    public int featureCount() {
        return instances.width();
    }
}
