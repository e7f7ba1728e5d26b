// The data sources the dashboards use. The uids are the ones
// grafana/provisioning/datasources/datasources.yml provisions; the test keeps the two equal.
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

export const PROMETHEUS_UID = 'faultline-prometheus';
export const JAEGER_UID = 'faultline-jaeger';
export const VICTORIALOGS_UID = 'faultline-victorialogs';
/** The VictoriaLogs data source plugin (installed by the compose file). */
export const VICTORIALOGS_TYPE = 'victoriametrics-logs-datasource';

/** Panels query Prometheus through the `datasource` template variable (default: PROMETHEUS_UID). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable, interpolated by Grafana
export const prometheus: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };
export const jaeger: DataSourceRef = { type: 'jaeger', uid: JAEGER_UID };
export const victoriaLogs: DataSourceRef = { type: VICTORIALOGS_TYPE, uid: VICTORIALOGS_UID };

/** Where data links open the Jaeger UI; a dashboard variable, so each installation can change it. */
export const JAEGER_UI_DEFAULT = 'http://127.0.0.1:16686';
