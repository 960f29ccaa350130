"""Validates rendered Kubernetes manifests strictly, offline, and checks what ties them together.

  python check_manifests.py KUBERNETES_VERSION SCALEDOBJECT_CRD RENDERED.yaml...

Built-in kinds go through kubernetes-validate's schemas for KUBERNETES_VERSION in strict mode (an
unknown field is an error, as kubectl's strict field validation makes it). KEDA's ScaledObject goes
through the openAPIV3Schema of KEDA's own CRD, made strict the way the API server prunes: an object
with properties and no x-kubernetes-preserve-unknown-fields takes no other field. A prometheus
trigger's metadata is a free map in the CRD; its fields are checked against KEDA's scaler here.
Each problem is printed as FILE: KIND/NAME: message; the exit status is 1 if there is any.
"""

import re
import sys

import jsonschema
import kubernetes_validate
import yaml

# KEDA's prometheus scaler (keda.sh/docs/2.18/scalers/prometheus): what it needs, and what it reads.
PROMETHEUS_REQUIRED = {"serverAddress", "query", "threshold"}
PROMETHEUS_KNOWN = PROMETHEUS_REQUIRED | {"activationThreshold", "namespace", "customHeaders", "ignoreNullValues",
                                          "queryParameters", "unsafeSsl", "timeout", "authModes"}
# What a stopping replica takes after its preStop hook and --shutdown-grace-seconds: the server's 2 s
# for other calls and the close.
SHUTDOWN_AFTER_GRACE_S = 2


def strict(schema):
    """The CRD schema with additionalProperties: false wherever the API server would prune."""
    if isinstance(schema, dict):
        schema = {key: strict(value) for key, value in schema.items()}
        if ("properties" in schema and "additionalProperties" not in schema
                and not schema.get("x-kubernetes-preserve-unknown-fields")):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


def scaledobject_schema(crd_path):
    crd = yaml.safe_load(open(crd_path))
    [served] = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"]
    return strict(served["schema"]["openAPIV3Schema"])


def name(resource):
    return f"{resource.get('kind')}/{resource.get('metadata', {}).get('name')}"


def check_file(path, version, scaledobject):
    problems = []
    resources = [r for r in yaml.safe_load_all(open(path)) if r]
    for resource in resources:
        try:
            if resource.get("apiVersion") == "keda.sh/v1alpha1" and resource.get("kind") == "ScaledObject":
                jsonschema.validate(resource, scaledobject)
                problems += trigger_problems(resource)
            else:
                kubernetes_validate.validate(resource, version, strict=True)
        except (jsonschema.ValidationError, kubernetes_validate.ValidationError) as e:
            where = "/".join(str(p) for p in e.path) or "(root)"
            problems.append(f"{name(resource)}: {where}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(f"{name(resource)}: no schema for {resource.get('apiVersion')} {resource.get('kind')}")
    if not problems:
        problems += wiring_problems(resources)
    return [f"{path}: {p}" for p in problems]


def trigger_problems(scaledobject):
    problems = []
    for i, trigger in enumerate(scaledobject["spec"]["triggers"]):
        if trigger["type"] != "prometheus":
            continue
        metadata = trigger.get("metadata", {})
        for key in sorted(PROMETHEUS_REQUIRED - set(metadata)):
            problems.append(f"{name(scaledobject)}: spec/triggers/{i}/metadata: the prometheus scaler needs {key}")
        for key in sorted(set(metadata) - PROMETHEUS_KNOWN):
            problems.append(f"{name(scaledobject)}: spec/triggers/{i}/metadata: the prometheus scaler has no {key}")
        for key in ["threshold", "activationThreshold"]:
            if key in metadata and not re.fullmatch(r"\d+(\.\d+)?", metadata[key]):
                problems.append(f"{name(scaledobject)}: spec/triggers/{i}/metadata/{key}: not a number: {metadata[key]}")
    return problems


def wiring_problems(resources):
    """What no schema says: the pieces of one overlay refer to each other and agree."""
    problems = []
    by_kind = {}
    for resource in resources:
        by_kind.setdefault(resource["kind"], []).append(resource)
    namespaces = {r["metadata"].get("namespace") for r in resources}
    if len(namespaces) != 1 or None in namespaces:
        problems.append(f"every resource should be in one namespace, found {sorted(map(str, namespaces))}")
    namespace = next(iter(namespaces))
    [deployment] = by_kind.get("Deployment", [None])
    scalers = by_kind.get("ScaledObject", []) + by_kind.get("HorizontalPodAutoscaler", [])
    if len(scalers) != 1:
        problems.append(f"one autoscaler per overlay (KEDA or the HPA, not both), found {[name(s) for s in scalers]}")
    for scaledobject in by_kind.get("ScaledObject", []):
        for trigger in scaledobject["spec"]["triggers"]:
            if f'namespace="{namespace}"' not in trigger["metadata"]["query"]:
                problems.append(f"{name(scaledobject)}: the query does not select namespace {namespace}")
    for hpa in by_kind.get("HorizontalPodAutoscaler", []):
        for metric in hpa["spec"]["metrics"]:
            if metric["external"]["metric"]["selector"]["matchLabels"].get("namespace") != namespace:
                problems.append(f"{name(hpa)}: the external metric does not select namespace {namespace}")
    for scaler in scalers:
        if scaler["spec"]["scaleTargetRef"]["name"] != deployment["metadata"]["name"]:
            problems.append(f"{name(scaler)}: scales {scaler['spec']['scaleTargetRef']['name']}, not the Deployment")

    pod = deployment["spec"]["template"]
    labels = pod["metadata"]["labels"]
    [container] = pod["spec"]["containers"]
    for service in by_kind.get("Service", []) + by_kind.get("PodDisruptionBudget", []):
        selector = service["spec"]["selector"]
        selector = selector.get("matchLabels", selector)
        if not selector or any(labels.get(k) != v for k, v in selector.items()):
            problems.append(f"{name(service)}: its selector {selector} does not select the pods ({labels})")
    if not any(s["spec"].get("clusterIP") == "None" for s in by_kind.get("Service", [])):
        problems.append("no headless Service (clusterIP: None) for client-side balancing")
    grpc_port = next(p["containerPort"] for p in container["ports"] if p["name"] == "grpc")
    if f"--port={grpc_port}" not in container["args"]:
        problems.append(f"the container port grpc ({grpc_port}) is not serve's --port")
    # With TLS the probes check the plaintext health port, which --health-port must open.
    probe_port = grpc_port
    if any(a.startswith("--tls-cert=") for a in container["args"]):
        probe_port = next((p["containerPort"] for p in container["ports"] if p["name"] == "health"), None)
        if probe_port is None or f"--health-port={probe_port}" not in container["args"]:
            problems.append("with TLS the probes need a container port health that is serve's --health-port")
    for probe in ["startupProbe", "readinessProbe", "livenessProbe"]:
        spec = container.get(probe)
        if spec is None:
            problems.append(f"the container has no {probe}")
        elif "grpc" not in spec:
            problems.append(f"{probe} is not a gRPC probe")
        elif spec["grpc"]["port"] != probe_port:
            problems.append(f"{probe} checks port {spec['grpc']['port']}, not {probe_port}"
                            f" ({'the health port' if probe_port != grpc_port else 'the gRPC port'})")
    annotations = pod["metadata"].get("annotations", {})
    metrics_port = next(p["containerPort"] for p in container["ports"] if p["name"] == "metrics")
    if annotations.get("prometheus.io/port") != str(metrics_port) or f"--metrics-port={metrics_port}" not in container["args"]:
        problems.append(f"prometheus.io/port, the metrics container port and --metrics-port disagree")

    config = {}
    for source in container.get("envFrom", []):
        [configmap] = [c for c in by_kind.get("ConfigMap", []) if c["metadata"]["name"] == source["configMapRef"]["name"]]
        config.update(configmap["data"])
    for arg in container["args"]:
        for variable in re.findall(r"\$\((\w+)\)", arg):
            if variable not in config:
                problems.append(f"{arg}: no ConfigMap gives {variable}")
    grace = next((a.split("=", 1)[1] for a in container["args"] if a.startswith("--shutdown-grace-seconds=")), None)
    grace = int(re.sub(r"\$\((\w+)\)", lambda m: config.get(m.group(1), "0"), grace or "30"))
    pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
    sleep = int(pre_stop[1]) if pre_stop[0] == "sleep" else 0
    if pod["spec"]["terminationGracePeriodSeconds"] <= sleep + grace + SHUTDOWN_AFTER_GRACE_S:
        problems.append(f"terminationGracePeriodSeconds {pod['spec']['terminationGracePeriodSeconds']} does not "
                        f"cover preStop {sleep} s + --shutdown-grace-seconds {grace} + {SHUTDOWN_AFTER_GRACE_S} s")
    return problems


def main(version, crd_path, *paths):
    scaledobject = scaledobject_schema(crd_path)
    problems = [p for path in paths for p in check_file(path, version, scaledobject)]
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
