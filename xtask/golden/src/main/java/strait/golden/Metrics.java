package strait.golden;

import io.prometheus.jmx.JmxCollector;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.MetricNameTemplate;
import org.apache.kafka.common.metrics.Gauge;
import org.apache.kafka.common.metrics.JmxReporter;
import org.apache.kafka.common.metrics.KafkaMetricsContext;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.MetricsContext;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.connect.runtime.ConnectMetricsRegistry;

/**
 * Golden list of Kafka Connect's metrics as the Prometheus JMX exporter shows them: writes one TSV
 * line per {@link MetricNameTemplate} of Kafka Connect's {@link ConnectMetricsRegistry} (4.1.2),
 * every group it has, with the Prometheus metric name and label names the JMX exporter gives it.
 *
 * <p>Nothing here re-implements a naming rule: each template is registered, one at a time, as a
 * real metric of a Kafka {@code Metrics} whose only reporter is a {@link JmxReporter} under the
 * metrics context {@code kafka.connect}, exactly as {@code ConnectMetrics} sets it up (so its MBean
 * is {@code kafka.connect:type=<group>,<tag>=<value>,...} in the template's tag order, on the
 * platform MBeanServer). Then the Prometheus JMX exporter's own collector
 * ({@code io.prometheus.jmx:collector}, the code the exporter's java agent and standalone server
 * run), with an empty config ({@code {}}: no rules, so its default naming), scrapes the platform
 * MBeanServer through a {@link PrometheusRegistry}, the result is rendered in the Prometheus text
 * format, and the samples that appeared for the {@code kafka_connect} domain are the template's.
 * Tags are filled with sample values: {@code connector=c1}, {@code task=0}, any other tag
 * {@code x}.
 *
 * <p>What that default naming gives (collector 1.7.0 on prometheus-metrics 1.9.0): the MBean's
 * domain, the value of its first key property ({@code type}, the group) and the attribute (the
 * metric name) joined by {@code _}, every character outside {@code [a-zA-Z0-9_:]} replaced by
 * {@code _}, case kept; the other key properties (the tags) become labels. The exported series are
 * untyped, and a trailing {@code _total} is dropped from their names (client_java 1.x reserves that
 * suffix for counters): {@code connector-startup-attempts-total} is exported as
 * {@code kafka_connect_connect_worker_metrics_connector_startup_attempts}.
 *
 * <p>Value types follow Kafka Connect: the metrics that Connect registers as {@code Gauge<String>}
 * (see {@link #stringValued}) are registered with a string value here too. The JMX exporter does
 * not export string attributes, so for those rows {@code prometheus_name} and
 * {@code prometheus_labels} are empty: a JMX-exporter scrape of a Java worker has no such series.
 *
 * <p>Output: a header line, then the rows sorted, tab-separated: {@code group}, {@code metric},
 * {@code tags} (the template's tag names, sorted, comma-joined), {@code prometheus_name},
 * {@code prometheus_labels} (sorted, comma-joined), {@code description} (tabs and line breaks as
 * spaces).
 */
public final class Metrics {
    private static final String JMX_PREFIX = "kafka.connect";
    /** The Prometheus name prefix of the {@code kafka.connect} JMX domain. */
    private static final String PROMETHEUS_PREFIX = "kafka_connect_";
    private static final String HEADER =
            "group\tmetric\ttags\tprometheus_name\tprometheus_labels\tdescription";

    private Metrics() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: strait.golden.Metrics <out.tsv>");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        ConnectMetricsRegistry registry = new ConnectMetricsRegistry();
        Set<MetricNameTemplate> strings = stringValued(registry);

        // As ConnectMetrics: a JmxReporter (CommonClientConfigs.metricsReporters configures it with
        // the worker config; no include/exclude set here) under KafkaMetricsContext("kafka.connect").
        JmxReporter jmx = new JmxReporter();
        jmx.configure(Map.of());
        Map<String, Object> contextLabels = new LinkedHashMap<>();
        contextLabels.put("connect.kafka.cluster.id", "cluster");
        contextLabels.put("connect.group.id", "connect-cluster");
        MetricsContext context = new KafkaMetricsContext(JMX_PREFIX, contextLabels);

        PrometheusRegistry prometheus = new PrometheusRegistry();
        new JmxCollector("{}").register(prometheus);

        List<String> rows = new ArrayList<>();
        Map<String, String> seen = new TreeMap<>();
        try (org.apache.kafka.common.metrics.Metrics metrics =
                new org.apache.kafka.common.metrics.Metrics(
                        new MetricConfig(), List.of(jmx), Time.SYSTEM, context)) {
            Set<Sample> baseline = scrape(prometheus);
            for (MetricNameTemplate template : registry.getAllTemplates()) {
                Map<String, String> tags = new LinkedHashMap<>();
                for (String tag : template.tags()) {
                    tags.put(tag, sampleValue(tag));
                }
                MetricName name = metrics.metricInstance(template, tags);
                if (strings.contains(template)) {
                    metrics.addMetric(name, (Gauge<String>) (config, now) -> "x");
                } else {
                    metrics.addMetric(name, (Gauge<Double>) (config, now) -> 1.0);
                }
                Set<Sample> added = scrape(prometheus);
                added.removeAll(baseline);
                metrics.removeMetric(name);
                Set<Sample> after = scrape(prometheus);
                if (!after.equals(baseline)) {
                    throw new IllegalStateException(
                            "scrape did not return to its baseline after removing " + name);
                }
                if (added.size() > 1) {
                    throw new IllegalStateException(name + " gave several samples: " + added);
                }
                if (added.isEmpty() && !strings.contains(template)) {
                    throw new IllegalStateException("numeric metric " + name + " was not exported");
                }
                String promName = "";
                String promLabels = "";
                if (!added.isEmpty()) {
                    Sample sample = added.iterator().next();
                    promName = sample.name;
                    promLabels = String.join(",", sample.labels.keySet());
                    String key = promName + "{" + promLabels + "}";
                    String prev = seen.put(key, template.group() + " " + template.name());
                    if (prev != null) {
                        throw new IllegalStateException(
                                "two templates give " + key + ": " + prev + " and " + name);
                    }
                }
                rows.add(String.join(
                        "\t",
                        template.group(),
                        template.name(),
                        String.join(",", new TreeSet<>(template.tags())),
                        promName,
                        promLabels,
                        template.description().replaceAll("[\t\r\n]", " ")));
            }
        }
        Collections.sort(rows);
        StringBuilder text = new StringBuilder(HEADER).append('\n');
        for (String row : rows) {
            text.append(row).append('\n');
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(out, text.toString(), StandardCharsets.UTF_8);
        System.out.println("wrote " + rows.size() + " Connect metric templates to " + out);
    }

    private static String sampleValue(String tag) {
        switch (tag) {
            case "connector":
                return "c1";
            case "task":
                return "0";
            default:
                return "x";
        }
    }

    /**
     * The templates Kafka Connect 4.1.2 registers with a {@code String} value (via
     * {@code MetricGroup.addValueMetric} / {@code addImmutableValueMetric}): WorkerConnector's
     * connector type, class, version and status; WorkerTask's status and plugin info (connector,
     * task and converter classes and versions, transformation and predicate class and version);
     * DistributedHerder's connect-protocol and leader-name. Everything else is a number: sensors
     * (double), ratios and counts (double or long), last-error-timestamp (long).
     */
    private static Set<MetricNameTemplate> stringValued(ConnectMetricsRegistry r) {
        return new HashSet<>(List.of(
                r.connectorStatus,
                r.connectorType,
                r.connectorClass,
                r.connectorVersion,
                r.taskStatus,
                r.taskConnectorClass,
                r.taskConnectorClassVersion,
                r.taskConnectorType,
                r.taskClass,
                r.taskVersion,
                r.taskKeyConverterClass,
                r.taskKeyConverterVersion,
                r.taskValueConverterClass,
                r.taskValueConverterVersion,
                r.taskHeaderConverterClass,
                r.taskHeaderConverterVersion,
                r.transformClass,
                r.transformVersion,
                r.predicateClass,
                r.predicateVersion,
                r.connectProtocol,
                r.leaderName));
    }

    /** One exported sample of the {@code kafka.connect} domain: its name and labels. */
    private static final class Sample {
        final String name;
        final TreeMap<String, String> labels;

        Sample(String name, TreeMap<String, String> labels) {
            this.name = name;
            this.labels = labels;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Sample
                    && ((Sample) o).name.equals(name)
                    && ((Sample) o).labels.equals(labels);
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + labels.hashCode();
        }

        @Override
        public String toString() {
            return name + labels;
        }
    }

    /**
     * Scrapes the registry as the exporter's HTTP endpoint does and parses the samples of the
     * text format whose name is in the {@code kafka_connect} domain.
     */
    private static Set<Sample> scrape(PrometheusRegistry registry) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(buf, registry.scrape());
        Set<Sample> samples = new HashSet<>();
        for (String line : buf.toString(StandardCharsets.UTF_8).split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Sample sample = parseSample(line);
            if (sample.name.startsWith(PROMETHEUS_PREFIX)) {
                samples.add(sample);
            }
        }
        return samples;
    }

    /** Parses {@code name{l1="v1",l2="v2"} value} (label values with text-format escapes). */
    private static Sample parseSample(String line) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        String name = line.substring(0, i);
        TreeMap<String, String> labels = new TreeMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                String label = line.substring(i, eq);
                i = eq + 1;
                if (line.charAt(i) != '"') {
                    throw new IllegalStateException("bad sample line: " + line);
                }
                i++;
                StringBuilder value = new StringBuilder();
                while (line.charAt(i) != '"') {
                    char c = line.charAt(i);
                    if (c == '\\') {
                        i++;
                        char e = line.charAt(i);
                        value.append(e == 'n' ? '\n' : e);
                    } else {
                        value.append(c);
                    }
                    i++;
                }
                i++;
                labels.put(label, value.toString());
                if (line.charAt(i) == ',') {
                    i++;
                }
            }
        }
        return new Sample(name, labels);
    }
}
