package dev.prism.explain.examples;

/**
 * The answer of a nearest-neighbour query: reference row indices, nearest first (equal distances in
 * row order), and their distances to the query. The arrays are the caller's; nothing else holds them.
 */
public record Neighbours(int[] rows, double[] distances) {
    public Neighbours {
        if (rows.length != distances.length) {
            throw new IllegalArgumentException(rows.length + " rows but " + distances.length + " distances");
        }
    }

    public int size() {
        return rows.length;
    }
}
