import { ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from "@aws-sdk/client-s3";

/**
 * Deliveries a source acknowledged but could not use (valid sender, unusable body) are kept under
 * `sources/<source>/rejected/` (FLOWS.md), so nothing is lost; the console lists them.
 */
export const SOURCES_PREFIX = "sources/";
const SOURCE_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** A key the console may read back: under some source's rejected/ folder, no dot segments. */
const REJECTED_KEY =
  /^sources\/[a-z0-9][a-z0-9-]{0,63}\/rejected\/(?:[A-Za-z0-9_.=+-]+\/)*[A-Za-z0-9_.=+-]+$/;
/** Pages of 1,000 keys read per source before the listing stops (and says so). */
const MAX_PAGES = 10;

export const rejectedPrefix = (source: string) => `${SOURCES_PREFIX}${source}/rejected/`;

export function isRejectedKey(key: string): boolean {
  return REJECTED_KEY.test(key) && !key.split("/").some((segment) => segment === "." || segment === "..");
}

export interface RejectedDelivery {
  key: string;
  /** epoch ms */
  lastModified?: number;
  size?: number;
}

export interface RejectedBySource {
  source: string;
  /** Newest first. */
  deliveries: RejectedDelivery[];
  /** More were kept than were read or shown. */
  truncated: boolean;
}

/**
 * The sources with a folder in the bucket: S3 answers the `sources/<id>/` folders as common
 * prefixes; a store that ignores the delimiter (the local one) answers keys, whose second segment
 * is the source.
 */
async function discoverSources(s3: S3Client, bucket: string): Promise<string[]> {
  const out = await s3.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: SOURCES_PREFIX, Delimiter: "/", MaxKeys: 1000 }),
  );
  const found = new Set<string>();
  for (const prefix of out.CommonPrefixes ?? []) {
    const id = prefix.Prefix?.slice(SOURCES_PREFIX.length).split("/")[0];
    if (id) found.add(id);
  }
  for (const object of out.Contents ?? []) {
    const id = object.Key?.slice(SOURCES_PREFIX.length).split("/")[0];
    if (id) found.add(id);
  }
  return [...found];
}

async function listSource(
  s3: S3Client,
  bucket: string,
  source: string,
  limit: number,
): Promise<RejectedBySource> {
  const deliveries: RejectedDelivery[] = [];
  let token: string | undefined;
  let pages = 0;
  let more = false;
  do {
    const out: ListObjectsV2CommandOutput = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: rejectedPrefix(source),
        MaxKeys: 1000,
        ContinuationToken: token,
      }),
    );
    for (const object of out.Contents ?? []) {
      if (!object.Key || !isRejectedKey(object.Key)) continue;
      deliveries.push({ key: object.Key, lastModified: object.LastModified?.getTime(), size: object.Size });
    }
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
    pages++;
    more = token !== undefined && pages >= MAX_PAGES;
  } while (token && pages < MAX_PAGES);
  deliveries.sort((a, b) => (b.lastModified ?? 0) - (a.lastModified ?? 0) || (a.key < b.key ? 1 : -1));
  return {
    source,
    deliveries: deliveries.slice(0, limit),
    truncated: more || deliveries.length > limit,
  };
}

/** Every source's rejected deliveries (ListObjectsV2), newest first, at most `limit` per source. */
export async function listRejectedDeliveries(
  s3: S3Client,
  bucket: string,
  knownSources: readonly string[],
  limit = 200,
): Promise<RejectedBySource[]> {
  const sources = new Set(knownSources.filter((source) => SOURCE_ID.test(source)));
  for (const source of await discoverSources(s3, bucket)) if (SOURCE_ID.test(source)) sources.add(source);
  return Promise.all([...sources].sort().map((source) => listSource(s3, bucket, source, limit)));
}
