// The Foundation SDK has no Jaeger query type; this is the query model of Grafana's built-in Jaeger
// data source (queryType "search": service, operation, tags in logfmt, limit).
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';

export interface JaegerSearchQuery extends Dataquery {
  refId: string;
  queryType: 'search';
  service: string;
  operation?: string;
  tags?: string;
  limit?: number;
}

export class JaegerSearchBuilder implements Builder<Dataquery> {
  private readonly query: JaegerSearchQuery;

  constructor(refId: string, service: string) {
    this.query = { refId, queryType: 'search', service, _implementsDataqueryVariant() {} };
  }

  tags(logfmt: string): this {
    this.query.tags = logfmt;
    return this;
  }

  limit(limit: number): this {
    this.query.limit = limit;
    return this;
  }

  build(): JaegerSearchQuery {
    return this.query;
  }
}
