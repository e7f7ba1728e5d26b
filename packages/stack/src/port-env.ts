// The one place that spells the environment variables through which collector/otelcol.yaml and
// collector/jaeger.yaml take their listen ports (collector/README.md lists them). The stack, the
// fleet, the benches and the tests that start a lone collector or Jaeger all build it here.
import { freePorts } from './ports.js';

export interface CollectorPorts {
  otlpGrpc: number;
  otlpHttp: number;
  health: number;
  zpages: number;
  /** The prometheus exporter (span metrics). */
  prometheus: number;
  /** The collector's own telemetry (otelcol_* metrics). */
  telemetry: number;
}

export interface JaegerPorts {
  otlpGrpc: number;
  otlpHttp: number;
  queryHttp: number;
  queryGrpc: number;
  health: number;
  metrics: number;
}

/** Free loopback ports for one collector, all distinct. */
export function freeCollectorPorts(): Promise<CollectorPorts> {
  return freePorts(['otlpGrpc', 'otlpHttp', 'health', 'zpages', 'prometheus', 'telemetry'] as const);
}

/** Free loopback ports for one Jaeger, all distinct. */
export function freeJaegerPorts(): Promise<JaegerPorts> {
  return freePorts(['otlpGrpc', 'otlpHttp', 'queryHttp', 'queryGrpc', 'health', 'metrics'] as const);
}

/** FAULTLINE_COLLECTOR_*_PORT for collector/otelcol.yaml. */
export function collectorPortEnv(p: CollectorPorts): Record<string, string> {
  return {
    FAULTLINE_COLLECTOR_OTLP_GRPC_PORT: String(p.otlpGrpc),
    FAULTLINE_COLLECTOR_OTLP_HTTP_PORT: String(p.otlpHttp),
    FAULTLINE_COLLECTOR_HEALTH_PORT: String(p.health),
    FAULTLINE_COLLECTOR_ZPAGES_PORT: String(p.zpages),
    FAULTLINE_COLLECTOR_PROMETHEUS_PORT: String(p.prometheus),
    FAULTLINE_COLLECTOR_TELEMETRY_PORT: String(p.telemetry),
  };
}

/** FAULTLINE_JAEGER_*_PORT for collector/jaeger.yaml. */
export function jaegerPortEnv(p: JaegerPorts): Record<string, string> {
  return {
    FAULTLINE_JAEGER_OTLP_GRPC_PORT: String(p.otlpGrpc),
    FAULTLINE_JAEGER_OTLP_HTTP_PORT: String(p.otlpHttp),
    FAULTLINE_JAEGER_QUERY_HTTP_PORT: String(p.queryHttp),
    FAULTLINE_JAEGER_QUERY_GRPC_PORT: String(p.queryGrpc),
    FAULTLINE_JAEGER_HEALTH_PORT: String(p.health),
    FAULTLINE_JAEGER_METRICS_PORT: String(p.metrics),
  };
}
