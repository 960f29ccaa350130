package dev.prism.onnx;

/** An execution provider choice: the CPU, or CUDA on one GPU. */
public record ExecutionDevice(boolean cuda, int deviceId) {
    public static final ExecutionDevice CPU = new ExecutionDevice(false, 0);

    /** Parses "cpu", "cuda" or "cuda:N". */
    public static ExecutionDevice parse(String text) {
        String t = text.strip().toLowerCase(java.util.Locale.ROOT);
        if (t.equals("cpu")) {
            return CPU;
        }
        if (t.equals("cuda")) {
            return new ExecutionDevice(true, 0);
        }
        if (t.startsWith("cuda:")) {
            try {
                int id = Integer.parseInt(t.substring(5));
                if (id >= 0) {
                    return new ExecutionDevice(true, id);
                }
            } catch (NumberFormatException ignored) {
                // falls through to the error below
            }
        }
        throw new IllegalArgumentException("device '" + text + "' is not one of cpu, cuda, cuda:N");
    }

    @Override
    public String toString() {
        return cuda ? "cuda:" + deviceId : "cpu";
    }
}
