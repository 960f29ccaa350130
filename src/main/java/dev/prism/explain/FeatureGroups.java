package dev.prism.explain;

import dev.prism.error.ClientText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What an explanation calls a feature: disjoint groups of elements of the flattened instance,
 * each attributed as one player. Elements in no group always keep the instance's value.
 */
public final class FeatureGroups {
    private final int elements;
    private final int[][] members;
    private final List<String> names;
    private final int[] ungrouped;
    private final boolean singletons;

    private FeatureGroups(int elements, int[][] members, List<String> names, boolean singletons) {
        this.elements = elements;
        this.members = members;
        this.names = List.copyOf(names);
        this.singletons = singletons;
        boolean[] grouped = new boolean[elements];
        for (int[] g : members) {
            for (int e : g) {
                grouped[e] = true;
            }
        }
        int count = 0;
        for (boolean b : grouped) {
            count += b ? 0 : 1;
        }
        this.ungrouped = new int[count];
        for (int e = 0, k = 0; e < elements; e++) {
            if (!grouped[e]) {
                ungrouped[k++] = e;
            }
        }
    }

    /** Every element a feature of its own. */
    public static FeatureGroups singletons(List<String> featureNames) {
        int[][] members = new int[featureNames.size()][];
        for (int i = 0; i < members.length; i++) {
            members[i] = new int[] {i};
        }
        return new FeatureGroups(featureNames.size(), members, featureNames, true);
    }

    /**
     * Groups over an instance of {@code elements} values.
     *
     * @throws IllegalArgumentException if a group is empty, an element is out of range or in two groups
     */
    public static FeatureGroups of(int elements, List<int[]> members, List<String> names) {
        if (members.size() != names.size()) {
            throw new IllegalArgumentException(members.size() + " groups but " + names.size() + " names");
        }
        if (members.isEmpty()) {
            throw new IllegalArgumentException("no groups");
        }
        int[] owner = new int[elements];
        Arrays.fill(owner, -1);
        int[][] copy = new int[members.size()][];
        for (int g = 0; g < copy.length; g++) {
            int[] m = members.get(g).clone();
            if (m.length == 0) {
                throw new IllegalArgumentException("group " + g + " (" + ClientText.quote(names.get(g)) + ") has no elements");
            }
            Arrays.sort(m);
            for (int e : m) {
                if (e < 0 || e >= elements) {
                    throw new IllegalArgumentException("group " + g + " (" + ClientText.quote(names.get(g)) + ") has element " + e
                            + ", outside [0, " + elements + ")");
                }
                if (owner[e] >= 0) {
                    throw new IllegalArgumentException("element " + e + " is in group " + owner[e] + " and group "
                            + g);
                }
                owner[e] = g;
            }
            copy[g] = m;
        }
        return new FeatureGroups(elements, copy, new ArrayList<>(names), false);
    }

    /** Number of features (groups). */
    public int count() {
        return members.length;
    }

    /** Elements in one instance. */
    public int elements() {
        return elements;
    }

    /** Elements of group g, ascending. */
    public int[] members(int g) {
        return members[g].clone();
    }

    public String name(int g) {
        return names.get(g);
    }

    public List<String> names() {
        return names;
    }

    /** Elements in no group, ascending. */
    public int[] ungrouped() {
        return ungrouped.clone();
    }

    /** True when every element is its own feature (plain tabular features). */
    public boolean isSingletons() {
        return singletons;
    }

    /** Members of the given groups, in that order. */
    public int[][] membersOf(int[] groups) {
        int[][] out = new int[groups.length][];
        for (int i = 0; i < groups.length; i++) {
            out[i] = members[groups[i]].clone();
        }
        return out;
    }
}
