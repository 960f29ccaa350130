package dev.prism.server;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one model reload did, by model name.
 *
 * @param refused why each refused folder was refused; the key "" when the repository itself could not be read
 * @param tokens  what became of the tokens file
 */
public record ReloadResult(List<String> added, List<String> replaced, List<String> removed,
                           Map<String, String> refused, Tokens tokens) {
    public ReloadResult {
        added = List.copyOf(added);
        replaced = List.copyOf(replaced);
        removed = List.copyOf(removed);
        refused = Collections.unmodifiableMap(new TreeMap<>(refused));
    }

    /**
     * The tokens file on a reload.
     *
     * @param reloaded its tokens were read again and are in force
     * @param refusal  why it was refused (the tokens from before stay in force), or null
     */
    public record Tokens(boolean reloaded, String refusal) {
        /** The server has no tokens file. */
        static final Tokens NONE = new Tokens(false, null);
        static final Tokens RELOADED = new Tokens(true, null);

        static Tokens refused(String refusal) {
            return new Tokens(false, refusal);
        }
    }
}
