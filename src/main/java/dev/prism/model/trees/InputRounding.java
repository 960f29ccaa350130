package dev.prism.model.trees;

/**
 * What happens to a value between Prism and the ensemble's comparisons: the model's input type and
 * the casts in front of the ensemble. Integer inputs are truncated as Prism writes them into an
 * integer tensor; float32 inputs, a cast to float, and a float ensemble comparing in float32 round
 * to the nearest float.
 */
public enum InputRounding {
    NONE, FLOAT32, TRUNCATE, TRUNCATE_FLOAT32;

    public double apply(double value) {
        return switch (this) {
            case NONE -> value;
            case FLOAT32 -> (float) value;
            case TRUNCATE -> (double) (long) value;
            case TRUNCATE_FLOAT32 -> (float) (long) value;
        };
    }

    /** This rounding followed by rounding to float32. */
    public InputRounding thenFloat32() {
        return this == TRUNCATE || this == TRUNCATE_FLOAT32 ? TRUNCATE_FLOAT32 : FLOAT32;
    }

    public boolean roundsToFloat32() {
        return this == FLOAT32 || this == TRUNCATE_FLOAT32;
    }
}
