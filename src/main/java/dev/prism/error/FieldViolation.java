package dev.prism.error;

/** One bad field of a request: its path (dot/index syntax, e.g. {@code inputs[0].shape}) and what is wrong. */
public record FieldViolation(String field, String description) {}
