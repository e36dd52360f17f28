import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { type BudgetRecord, type BudgetStore, recordVerdict, reserveOn } from "../budget-consumer";
import type { BudgetName } from "../vendor-budget";

/**
 * The vendors' shared sliding windows in DynamoDB: one item per vendor (`vendor`), its record as
 * JSON (the start times still in the window, the hold, a quota stop) and a `version` every write
 * checks, so two consumers reserving at once cannot both take the same place (the loser reads
 * again). One strongly consistent read and one conditional write per reservation.
 */

const ATTEMPTS = 8;

const nextMidnightUtc = (now: number) => {
  const date = new Date(now);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1);
};

export function createDynamoBudgetStore(
  client: Pick<DynamoDBClient, "send">,
  tableName: string,
): BudgetStore {
  async function read(name: BudgetName): Promise<{ record: BudgetRecord; version: number }> {
    const answer = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { vendor: { S: name } }, ConsistentRead: true }),
    );
    const item = answer.Item;
    if (!item) return { record: { starts: [], hold: {} }, version: 0 };
    return {
      record: JSON.parse(item.record?.S ?? '{"starts":[],"hold":{}}') as BudgetRecord,
      version: Number(item.version?.N ?? 0),
    };
  }

  async function update<T>(
    name: BudgetName,
    change: (record: BudgetRecord) => { record: BudgetRecord; value: T },
  ) {
    for (let attempt = 1; ; attempt++) {
      const { record, version } = await read(name);
      const { record: next, value } = change(record);
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              vendor: { S: name },
              record: { S: JSON.stringify(next) },
              version: { N: String(version + 1) },
            },
            ConditionExpression: version === 0 ? "attribute_not_exists(vendor)" : "version = :version",
            ...(version === 0 ? {} : { ExpressionAttributeValues: { ":version": { N: String(version) } } }),
          }),
        );
        return value;
      } catch (error) {
        const lost =
          error instanceof ConditionalCheckFailedException ||
          (error as { name?: string }).name === "ConditionalCheckFailedException";
        if (!lost || attempt >= ATTEMPTS) throw error;
      }
    }
  }

  return {
    reserve: (name, n, rate, now) =>
      update(name, (record) => {
        const { at, record: next } = reserveOn(record, n, rate, now);
        return { record: next, value: at };
      }),
    record: (name, verdict, now) =>
      update(name, (record) => {
        const { record: next, stopped } = recordVerdict(record, verdict, now, nextMidnightUtc(now));
        return { record: next, value: stopped };
      }),
    async stopped(name, now) {
      const { record } = await read(name);
      return record.stoppedUntil !== undefined && record.stoppedUntil > now ? record.stopReason : undefined;
    },
  };
}
