import { gatewayPath, readJson, type ClientContext } from "./client-context.ts";
import { iterateAllPages, listQueryParams, toPage } from "./client-paging.ts";
import { checkId, checkListQuery, checkUpload } from "./input-validation.ts";
import { encodeMultipart, fileNameFromContentDisposition } from "./multipart-body.ts";
import { firstHeader, type CallOptions } from "./transport.ts";
import { attachmentSchema, halListSchema } from "./wire-schemas.ts";
import type {
  Attachment,
  DownloadedAttachment,
  ListQuery,
  Page,
  UploadAttachmentInput,
} from "./wire-types.ts";

/** `/chat-gateway/v1/conversations/{id}/attachments`: upload a file, then send a message naming its id. */
export interface AttachmentsApi {
  /** Uploads a file (multipart `attachment` + `authorType`); reference the returned `id` in a message. */
  upload(conversationId: string, input: UploadAttachmentInput, options?: CallOptions): Promise<Attachment>;
  list(conversationId: string, query?: ListQuery, options?: CallOptions): Promise<Page<Attachment>>;
  listAll(conversationId: string, query?: ListQuery, options?: CallOptions): AsyncIterable<Attachment>;
  /** Metadata only. */
  get(conversationId: string, attachmentId: string, options?: CallOptions): Promise<Attachment>;
  /** The file's bytes, with the name from `Content-Disposition` and the response's content type. */
  download(
    conversationId: string,
    attachmentId: string,
    options?: CallOptions,
  ): Promise<DownloadedAttachment>;
}

const attachmentListSchema = halListSchema("attachments", attachmentSchema);

function uploadBody(input: UploadAttachmentInput): { readonly bytes: Buffer; readonly contentType: string } {
  return encodeMultipart([
    {
      name: "attachment",
      fileName: input.fileName,
      contentType: input.contentType ?? "application/octet-stream",
      bytes: input.bytes,
    },
    { name: "authorType", value: input.authorType },
  ]);
}

export function createAttachmentsApi({ transport }: ClientContext): AttachmentsApi {
  async function upload(
    conversationId: string,
    input: UploadAttachmentInput,
    options?: CallOptions,
  ): Promise<Attachment> {
    checkId(conversationId, "conversationId");
    checkUpload(input);
    const response = await transport.send(
      {
        operation: "attachments.upload",
        method: "POST",
        target: { path: gatewayPath("conversations", conversationId, "attachments") },
        body: uploadBody(input),
      },
      options,
    );
    return readJson(response, attachmentSchema, "attachments.upload");
  }

  async function list(
    conversationId: string,
    query: ListQuery = {},
    options?: CallOptions,
  ): Promise<Page<Attachment>> {
    checkId(conversationId, "conversationId");
    checkListQuery(query);
    const response = await transport.send(
      {
        operation: "attachments.list",
        method: "GET",
        target: { path: gatewayPath("conversations", conversationId, "attachments") },
        query: listQueryParams(query),
      },
      options,
    );
    return toPage(readJson(response, attachmentListSchema, "attachments.list"), query.page ?? 0);
  }

  function listAll(
    conversationId: string,
    query: ListQuery = {},
    options?: CallOptions,
  ): AsyncIterable<Attachment> {
    return iterateAllPages((page) => list(conversationId, { ...query, page }, options), query.page ?? 0);
  }

  async function get(
    conversationId: string,
    attachmentId: string,
    options?: CallOptions,
  ): Promise<Attachment> {
    checkId(conversationId, "conversationId");
    checkId(attachmentId, "attachmentId");
    const path = gatewayPath("conversations", conversationId, "attachments", attachmentId);
    const response = await transport.send(
      { operation: "attachments.get", method: "GET", target: { path } },
      options,
    );
    return readJson(response, attachmentSchema, "attachments.get");
  }

  async function download(
    conversationId: string,
    attachmentId: string,
    options?: CallOptions,
  ): Promise<DownloadedAttachment> {
    checkId(conversationId, "conversationId");
    checkId(attachmentId, "attachmentId");
    const path = gatewayPath("conversations", conversationId, "attachments", attachmentId, "content");
    const response = await transport.send(
      // The content is application/octet-stream, not HAL JSON: a HAL-only Accept could earn a 406.
      {
        operation: "attachments.download",
        method: "GET",
        target: { path },
        accept: "application/octet-stream, */*",
      },
      options,
    );
    return {
      bytes: response.body,
      fileName: fileNameFromContentDisposition(firstHeader(response.headers, "content-disposition")),
      contentType: firstHeader(response.headers, "content-type"),
    };
  }

  return { upload, list, listAll, get, download };
}
