package dev.prism.explain.examples;

import dev.prism.linalg.Cancellation;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The nearest unlike neighbour: the reference case closest to an instance (in the index's space)
 * that the model puts in another class, and the features in which the two differ. It answers "which
 * nearby real case flips the prediction, and what is different about it".
 *
 * <p>A numeric feature differs when its standardised difference exceeds the threshold in absolute
 * value (a threshold of 0 reports every numeric feature whose value differs); a categorical feature
 * differs when the values are unequal, whatever the threshold, and is reported with difference 1,
 * its part of the squared distance. A numeric feature that is constant in the reference does not
 * count in the distance and is never reported. The features come most different first (by
 * |difference|, then by feature index).
 */
public final class NearestUnlikeNeighbour {
    /** A feature in which the neighbour differs: standardised (neighbour − instance), or 1 for a category. */
    public record DifferingFeature(int feature, double difference) {
    }

    /** The neighbour's row, its distance, its predicted class and how it differs. */
    public record Answer(int row, double distance, int predictedClass, List<DifferingFeature> differing) {
    }

    private final ReferenceIndex index;
    private final int[] predictedClasses;

    /**
     * @param index            the reference set in input space
     * @param predictedClasses the model's predicted class of each reference row
     */
    public NearestUnlikeNeighbour(ReferenceIndex index, int[] predictedClasses) {
        if (predictedClasses.length != index.rows()) {
            throw new IllegalArgumentException(
                    predictedClasses.length + " predicted classes for " + index.rows() + " reference rows");
        }
        this.index = index;
        this.predictedClasses = predictedClasses.clone();
    }

    /**
     * The nearest reference row whose predicted class is not the instance's; empty when every
     * reference row shares the instance's class.
     *
     * @param threshold at least 0: how far apart, in standard deviations, a numeric feature must be to be reported
     */
    public Optional<Answer> find(double[] instance, int instanceClass, double threshold, Cancellation cancellation) {
        if (!(threshold >= 0) || Double.isInfinite(threshold)) {
            throw new IllegalArgumentException("the threshold must be finite and at least 0, got " + threshold);
        }
        Neighbours nearest = index.nearest(instance, 1, row -> predictedClasses[row] != instanceClass, cancellation);
        if (nearest.size() == 0) {
            return Optional.empty();
        }
        int row = nearest.rows()[0];
        double[] differences = index.differences(instance, row);
        List<DifferingFeature> differing = new ArrayList<>();
        for (int j = 0; j < differences.length; j++) {
            // A feature outside the distance has difference 0 and so never differs.
            boolean differs = index.categorical(j) ? differences[j] != 0 : Math.abs(differences[j]) > threshold;
            if (differs) {
                differing.add(new DifferingFeature(j, differences[j]));
            }
        }
        differing.sort(Comparator.comparingDouble((DifferingFeature f) -> -Math.abs(f.difference()))
                .thenComparingInt(DifferingFeature::feature));
        return Optional.of(new Answer(row, nearest.distances()[0], predictedClasses[row], List.copyOf(differing)));
    }
}
