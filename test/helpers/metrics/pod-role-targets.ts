// What Prometheus' Kubernetes service discovery (role: pod) hands to
// relabeling for a pod, written as file_sd target groups. Debian's Prometheus
// and promtool are built without Kubernetes discovery (its NEWS.Debian: "Kubernetes
// support has been completely removed"), so the tests feed these to a real
// Prometheus through file_sd_configs and let it run the shipped relabel_configs.
// Transcribed from upstream discovery/kubernetes/pod.go (buildPod, podLabels,
// addObjectAnnotationsAndLabels): one target per container port, at
// JoinHostPort(podIP, containerPort); no target while the pod has no IP.

export interface PodSpec {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  nodeName: string;
  podIP: string;
  phase: "Pending" | "Running" | "Succeeded" | "Failed";
  containers: { name: string; image: string; ports?: { name?: string; containerPort: number; protocol?: string }[] }[];
}

export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

const META = "__meta_kubernetes_";
const sanitize = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, "_");
const joinHostPort = (host: string, port: number) => (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`);

export function podRoleTargetGroups(pod: PodSpec): TargetGroup[] {
  if (pod.podIP === "") return [];
  const podLabels: Record<string, string> = {
    [`${META}namespace`]: pod.namespace,
    [`${META}pod_name`]: pod.name,
    [`${META}pod_ip`]: pod.podIP,
    [`${META}pod_ready`]: pod.phase === "Running" ? "true" : "false",
    [`${META}pod_phase`]: pod.phase,
    [`${META}pod_node_name`]: pod.nodeName,
    [`${META}pod_host_ip`]: pod.podIP,
    [`${META}pod_uid`]: `uid-${pod.name}`,
  };
  for (const [k, v] of Object.entries(pod.labels)) {
    podLabels[`${META}pod_label_${sanitize(k)}`] = v;
    podLabels[`${META}pod_labelpresent_${sanitize(k)}`] = "true";
  }
  for (const [k, v] of Object.entries(pod.annotations)) {
    podLabels[`${META}pod_annotation_${sanitize(k)}`] = v;
    podLabels[`${META}pod_annotationpresent_${sanitize(k)}`] = "true";
  }
  const groups: TargetGroup[] = [];
  for (const c of pod.containers) {
    const container = { [`${META}pod_container_name`]: c.name, [`${META}pod_container_image`]: c.image, [`${META}pod_container_init`]: "false" };
    if (!c.ports?.length) {
      groups.push({ targets: [pod.podIP], labels: { ...podLabels, ...container } });
      continue;
    }
    for (const port of c.ports) {
      groups.push({
        targets: [joinHostPort(pod.podIP, port.containerPort)],
        labels: {
          ...podLabels, ...container,
          [`${META}pod_container_port_number`]: String(port.containerPort),
          [`${META}pod_container_port_name`]: port.name ?? "",
          [`${META}pod_container_port_protocol`]: port.protocol ?? "TCP",
        },
      });
    }
  }
  return groups;
}
