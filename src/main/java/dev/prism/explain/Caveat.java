package dev.prism.explain;

/**
 * What a reader should know about a response's values before trusting them, beyond their numbers:
 * a stable code clients can match and a sentence for people.
 */
public record Caveat(String code, String message) {
}
