package dev.prism.model.trees;

import java.util.Arrays;

/**
 * One element-wise node between the ensemble and the model's score output, each monotone in its
 * input: adding or multiplying by a constant (one value for every column, or one per column), the
 * logistic sigmoid, the exponential.
 *
 * @param constant for ADD and MUL: one value, or one per score column; empty otherwise
 */
public record OutputStep(Op op, double[] constant) {
    public enum Op { ADD, MUL, SIGMOID, EXP }

    public OutputStep {
        constant = constant.clone();
        boolean takesConstant = op == Op.ADD || op == Op.MUL;
        if (takesConstant == (constant.length == 0)) {
            throw new IllegalArgumentException(op + (takesConstant ? " needs a constant" : " takes no constant"));
        }
    }

    public static OutputStep add(double... constant) {
        return new OutputStep(Op.ADD, constant);
    }

    public static OutputStep mul(double... constant) {
        return new OutputStep(Op.MUL, constant);
    }

    public static OutputStep sigmoid() {
        return new OutputStep(Op.SIGMOID, new double[0]);
    }

    public static OutputStep exp() {
        return new OutputStep(Op.EXP, new double[0]);
    }

    @Override
    public double[] constant() {
        return constant.clone();
    }

    /** Applies the step to the columns in place. */
    void apply(double[] columns) {
        for (int j = 0; j < columns.length; j++) {
            double c = constant.length == 0 ? 0 : constant[constant.length == 1 ? 0 : j];
            columns[j] = switch (op) {
                case ADD -> columns[j] + c;
                case MUL -> columns[j] * c;
                case SIGMOID -> OutputTransform.logistic(columns[j]);
                case EXP -> Math.exp(columns[j]);
            };
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OutputStep s && s.op == op && Arrays.equals(s.constant, constant);
    }

    @Override
    public int hashCode() {
        return 31 * op.hashCode() + Arrays.hashCode(constant);
    }

    @Override
    public String toString() {
        return constant.length == 0 ? op.name() : op + Arrays.toString(constant);
    }
}
