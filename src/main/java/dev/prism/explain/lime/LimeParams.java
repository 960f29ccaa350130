package dev.prism.explain.lime;

import dev.prism.tensor.RowBlock;

/**
 * LIME's parameters, as the API's {@code LimeParams}.
 *
 * @param numSamples           neighbourhood size including the instance; 0 = 5000 tabular, 1000 with feature groups
 * @param numFeatures          features in the explanation; 0 = 10
 * @param kernelWidth          width of exp(−d²/(2w²)); 0 = 0.75·√columns tabular, 0.25 (cosine distance)
 *                             with feature groups
 * @param sampleAroundInstance continuous mode: Gaussian samples centred on the instance, not the background mean
 * @param neighbourhood        test mode: this neighbourhood instead of a sampled one, or null
 * @param categoricalFeatures  element indices that are categorical (tabular mode): sampled from their
 *                             values' frequencies and compared for equality, never discretised
 */
public record LimeParams(int numSamples, int numFeatures, FeatureSelection featureSelection, Discretizer discretizer,
                         double kernelWidth, boolean sampleAroundInstance, MaskSampling maskSampling,
                         Neighbourhood neighbourhood, int[] categoricalFeatures) {
    public static final int DEFAULT_TABULAR_SAMPLES = 5000;
    public static final int DEFAULT_MASK_SAMPLES = 1000;
    public static final int DEFAULT_FEATURES = 10;
    public static final int MAX_SAMPLES = 1_000_000;
    public static final int MAX_FEATURES = 10_000;
    public static final double DEFAULT_MASK_KERNEL_WIDTH = 0.25;

    public static final LimeParams DEFAULTS = new LimeParams(0, 0, FeatureSelection.AUTO, Discretizer.QUARTILE, 0,
            false, MaskSampling.AUTO, null, new int[0]);

    /** lime_base's feature_selection. */
    public enum FeatureSelection {
        /** FORWARD when the explanation has at most 6 features, else HIGHEST_WEIGHTS. */
        AUTO,
        FORWARD,
        HIGHEST_WEIGHTS,
        NONE
    }

    /** How tabular features become interpretable ones. */
    public enum Discretizer {
        QUARTILE,
        DECILE,
        /** Continuous mode: Gaussian samples, standardised distances and regression. */
        NONE
    }

    /** With feature groups: how a sample chooses the groups it masks. */
    public enum MaskSampling {
        /** BERNOULLI; token groups want UNIFORM_COUNT, which only the caller can tell. */
        AUTO,
        /** Each group kept with probability ½ (lime_image). */
        BERNOULLI,
        /** k groups masked, k uniform in [1, M], the groups uniform among the k-subsets (lime_text). */
        UNIFORM_COUNT
    }

    /**
     * An explicit neighbourhood; row 0 is the instance.
     *
     * @param data   [samples, columns]: the rows the surrogate is fitted on, before scaling (lime's {@code data})
     * @param inputs [samples, elements]: the model inputs of the samples (lime's {@code inverse}); null with
     *               feature groups, whose inputs follow from {@code data}
     */
    public record Neighbourhood(RowBlock data, RowBlock inputs) {}

    public LimeParams {
        if (featureSelection == null || discretizer == null || maskSampling == null || categoricalFeatures == null) {
            throw new IllegalArgumentException("feature selection, discretizer, mask sampling and categorical features"
                    + " must be given");
        }
        categoricalFeatures = categoricalFeatures.clone();
    }

    @Override
    public int[] categoricalFeatures() {
        return categoricalFeatures.clone();
    }

    /** The same parameters with the model's categorical elements, which the server knows. */
    public LimeParams withCategoricalFeatures(int[] elements) {
        return new LimeParams(numSamples, numFeatures, featureSelection, discretizer, kernelWidth,
                sampleAroundInstance, maskSampling, neighbourhood, elements);
    }

    /** Neighbourhood size including the instance. */
    public int samples(boolean masked) {
        if (neighbourhood != null) {
            return neighbourhood.data().rows();
        }
        if (numSamples != 0) {
            return numSamples;
        }
        return masked ? DEFAULT_MASK_SAMPLES : DEFAULT_TABULAR_SAMPLES;
    }

    public int features() {
        return numFeatures != 0 ? numFeatures : DEFAULT_FEATURES;
    }

    /** The kernel width for data of this many columns. */
    public double kernelWidth(boolean masked, int columns) {
        if (kernelWidth != 0) {
            return kernelWidth;
        }
        return masked ? DEFAULT_MASK_KERNEL_WIDTH : 0.75 * Math.sqrt(columns);
    }

    /** The mask sampling to use: AUTO resolved. */
    public MaskSampling masking() {
        return maskSampling == MaskSampling.AUTO ? MaskSampling.BERNOULLI : maskSampling;
    }
}
