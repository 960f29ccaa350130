package dev.prism.server;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one model reload did, by model name.
 *
 * @param refused why each refused folder was refused; the key "" when the repository itself could not be read
 */
public record ReloadResult(List<String> added, List<String> replaced, List<String> removed,
                           Map<String, String> refused) {
    public ReloadResult {
        added = List.copyOf(added);
        replaced = List.copyOf(replaced);
        removed = List.copyOf(removed);
        refused = Collections.unmodifiableMap(new TreeMap<>(refused));
    }
}
