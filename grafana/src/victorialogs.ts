// The Foundation SDK has no VictoriaLogs query type; this is the query model of the VictoriaLogs
// data source plugin (victoriametrics-logs-datasource, src/types.ts `Query`): a LogsQL `expr` and
// the query type (`instant` asks /select/logsql/query for log lines).
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';

export interface VictoriaLogsQuery extends Dataquery {
  refId: string;
  expr: string;
  queryType: 'instant';
  maxLines?: number;
}

export class VictoriaLogsQueryBuilder implements Builder<Dataquery> {
  private readonly query: VictoriaLogsQuery;

  constructor(refId: string, expr: string) {
    this.query = { refId, expr, queryType: 'instant', _implementsDataqueryVariant() {} };
  }

  maxLines(n: number): this {
    this.query.maxLines = n;
    return this;
  }

  build(): VictoriaLogsQuery {
    return this.query;
  }
}
