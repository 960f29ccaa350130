package dev.prism.server;

import dev.prism.api.v1.ExplicitGroups;
import dev.prism.api.v1.FeatureGroup;
import dev.prism.api.v1.GridPatches;
import dev.prism.api.v1.SegmentMap;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import dev.prism.explain.FeatureGroups;
import dev.prism.model.ModelSignature;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/** Reads a request's {@code feature_groups} into core {@link FeatureGroups}. */
final class FeatureGroupsCodec {
    private FeatureGroupsCodec() {}

    static FeatureGroups decode(dev.prism.api.v1.FeatureGroups proto, ModelSignature sig) {
        int elements = sig.featureCount();
        return switch (proto.getGroupingCase()) {
            case GROUPING_NOT_SET -> FeatureGroups.singletons(sig.featureNames());
            case EXPLICIT -> explicit(proto.getExplicit(), elements);
            case GRID -> grid(proto.getGrid(), sig);
            case SEGMENTS -> segments(proto.getSegments(), elements);
            case TOKENS -> tokens(elements);
        };
    }

    private static FeatureGroups explicit(ExplicitGroups groups, int elements) {
        String field = "feature_groups.explicit.groups";
        if (groups.getGroupsCount() == 0) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, field, "needs at least one group");
        }
        List<int[]> members = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int g = 0; g < groups.getGroupsCount(); g++) {
            FeatureGroup group = groups.getGroups(g);
            members.add(group.getElementsList().stream().mapToInt(Integer::intValue).toArray());
            names.add(group.getName().isEmpty() ? "group" + g : group.getName());
        }
        return build(elements, members, names, field);
    }

    /**
     * Patches of an image of height × width pixels and as many channels as divide the instance.
     * Sizes are computed in long: a client's height and width can be any int, and their product
     * must neither wrap around nor be 0 to divide by.
     */
    private static FeatureGroups grid(GridPatches grid, ModelSignature sig) {
        String field = "feature_groups.grid";
        int[] shape = sig.explainedInput().instanceShape();
        int size = sig.featureCount();
        int height = grid.getImageHeight();
        int width = grid.getImageWidth();
        if (height == 0 && width == 0) {
            int dims = shape.length;
            int at = grid.getChannelsLast() ? dims - 3 : dims - 2;
            if (at < 0) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, field + ".image_height", "input '"
                        + sig.explainedInput().name() + "' has no image dimensions; give image_height and image_width");
            }
            height = shape[at];
            width = shape[at + 1];
        }
        long pixels = (long) height * width;
        if (height < 1 || width < 1 || pixels > size || size % pixels != 0) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, field + ".image_height", "an image of " + height
                    + "x" + width + " pixels does not divide an instance of " + size + " elements");
        }
        int channels = (int) (size / pixels);
        int ph = grid.getPatchHeight();
        int pw = grid.getPatchWidth();
        if (ph < 1 || pw < 1) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, field + ".patch_height",
                    "patch_height and patch_width must be >= 1, got " + ph + "x" + pw);
        }
        // A patch larger than the image covers it; clamped, a patch's end never passes the int range.
        ph = Math.min(ph, height);
        pw = Math.min(pw, width);
        List<int[]> members = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int r0 = 0; r0 < height; r0 = (int) Math.min(height, (long) r0 + ph)) {
            int r1 = (int) Math.min(height, (long) r0 + ph);
            for (int c0 = 0; c0 < width; c0 = (int) Math.min(width, (long) c0 + pw)) {
                int c1 = (int) Math.min(width, (long) c0 + pw);
                // Every index is below height × width × channels = size, an int.
                int[] patch = new int[channels * (r1 - r0) * (c1 - c0)];
                int k = 0;
                for (int ch = 0; ch < channels; ch++) {
                    for (int r = r0; r < r1; r++) {
                        for (int c = c0; c < c1; c++) {
                            patch[k++] = grid.getChannelsLast()
                                    ? (r * width + c) * channels + ch
                                    : (ch * height + r) * width + c;
                        }
                    }
                }
                members.add(patch);
                names.add("patch_" + r0 / ph + "_" + c0 / pw);
            }
        }
        return build(size, members, names, field);
    }

    private static FeatureGroups segments(SegmentMap map, int elements) {
        String field = "feature_groups.segments.segment_ids";
        if (map.getSegmentIdsCount() != elements) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, field, "needs one id per element of an instance ("
                    + elements + "), got " + map.getSegmentIdsCount());
        }
        TreeMap<Integer, List<Integer>> byId = new TreeMap<>();
        for (int e = 0; e < elements; e++) {
            int id = map.getSegmentIds(e);
            if (id < -1) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, field + "[" + e + "]",
                        "segment ids are >= 0, or -1 for no segment; got " + id);
            }
            if (id >= 0) {
                byId.computeIfAbsent(id, k -> new ArrayList<>()).add(e);
            }
        }
        if (byId.isEmpty()) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, field, "has no segment (every id is -1)");
        }
        List<int[]> members = new ArrayList<>();
        List<String> names = new ArrayList<>();
        byId.forEach((id, list) -> {
            members.add(list.stream().mapToInt(Integer::intValue).toArray());
            names.add("segment_" + id);
        });
        return build(elements, members, names, field);
    }

    private static FeatureGroups tokens(int elements) {
        List<int[]> members = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int e = 0; e < elements; e++) {
            members.add(new int[] {e});
            names.add("token_" + e);
        }
        return build(elements, members, names, "feature_groups.tokens");
    }

    private static FeatureGroups build(int elements, List<int[]> members, List<String> names, String field) {
        try {
            return FeatureGroups.of(elements, members, names);
        } catch (IllegalArgumentException e) {
            throw PrismException.invalid(Reason.INVALID_PARAMS, field, e.getMessage());
        }
    }
}
