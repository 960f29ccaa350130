package dev.prism.model;

/** What a model's score outputs mean. */
public enum OutputKind {
    UNSPECIFIED,
    PROBABILITY,
    LOGIT,
    REGRESSION
}
