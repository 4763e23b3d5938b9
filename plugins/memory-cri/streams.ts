// The CRIListStreaming RPCs (Kubernetes 1.36): the same results as the List* RPCs, sent as a
// server stream in chunks of STREAM_CHUNK items. An empty result sends no message.
import { ImageServiceDefinition, RuntimeServiceDefinition } from '../../interfaces/gen/cri/api.js';
import type { ServiceImpl } from '../../interfaces/grpc/server.js';
import { imageMessage } from './images.js';
import type { MemoryRuntime } from './runtime.js';
import { listContainers, containerSummary } from './container.js';
import { listSandboxes, sandboxSummary } from './sandbox.js';
import { listContainerStats, listSandboxStats, sandboxMetrics } from './stats.js';

export const STREAM_CHUNK = 100;

function* chunks<T>(items: T[], size = STREAM_CHUNK): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

export function runtimeStreams(rt: MemoryRuntime): ServiceImpl<typeof RuntimeServiceDefinition> {
  return {
    async *streamPodSandboxes(req, ctx) {
      await rt.fault('StreamPodSandboxes', ctx);
      const items = listSandboxes(rt, req.filter).map(sandboxSummary);
      for (const podSandboxes of chunks(items)) yield { podSandboxes };
    },
    async *streamContainers(req, ctx) {
      await rt.fault('StreamContainers', ctx);
      const items = listContainers(rt, req.filter).map(containerSummary);
      for (const containers of chunks(items)) yield { containers };
    },
    async *streamContainerStats(req, ctx) {
      await rt.fault('StreamContainerStats', ctx);
      for (const containerStats of chunks(listContainerStats(rt, req.filter))) yield { containerStats };
    },
    async *streamPodSandboxStats(req, ctx) {
      await rt.fault('StreamPodSandboxStats', ctx);
      for (const podSandboxStats of chunks(listSandboxStats(rt, req.filter))) yield { podSandboxStats };
    },
    async *streamPodSandboxMetrics(_req, ctx) {
      await rt.fault('StreamPodSandboxMetrics', ctx);
      for (const podSandboxMetrics of chunks(sandboxMetrics(rt))) yield { podSandboxMetrics };
    },
  };
}

export function imageStreams(rt: MemoryRuntime): ServiceImpl<typeof ImageServiceDefinition> {
  return {
    async *streamImages(req, ctx) {
      await rt.fault('StreamImages', ctx);
      for (const images of chunks(rt.listImages(req.filter?.image?.image).map((i) => imageMessage(rt, i)))) yield { images };
    },
  };
}
