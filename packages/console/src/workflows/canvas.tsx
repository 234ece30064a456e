/**
 * The canvas: the definition's graph (graph.ts) drawn with @xyflow/react, one box per step left to right, each box
 * showing its step's live status and, when it failed, the error's code. Edges between neighbours run side to side;
 * an edge that passes over boxes runs underneath them.
 */
import { Background, Handle, Position, ReactFlow, type Edge, type Node, type NodeChange, type NodeProps } from '@xyflow/react';
import { useCallback, useMemo, useState } from 'react';
import type { WorkflowDefinition } from '@wr/workflow';
import { workflowGraph } from './graph.js';

export type BoxStatus = 'pending' | 'running' | 'done' | 'waiting' | 'failed';

export interface BoxState {
  status: BoxStatus;
  error?: { code: string; message: string } | undefined;
}

type StepNodeData = { stepId: string; kind: string; description?: string | undefined; state: BoxState };

const STATUS_TEXT: Record<BoxStatus, string> = { pending: 'pending', running: 'running…', done: 'done', waiting: 'waiting', failed: 'failed' };

function StepNode({ data }: NodeProps<Node<StepNodeData>>) {
  const { state } = data;
  return (
    <div
      className={`step step-${state.status}`}
      data-testid={`step-${data.stepId}`}
      data-status={state.status}
      role="group"
      aria-label={`Step ${data.stepId}, ${data.kind}: ${state.status}${state.error ? `, ${state.error.code}` : ''}`}
    >
      <Handle type="target" position={Position.Left} id="in" isConnectable={false} />
      <Handle type="target" position={Position.Bottom} id="under-in" isConnectable={false} style={{ left: '30%' }} />
      <div className="step-kind">{data.kind === 'transfer' ? '[transfer]' : data.kind}</div>
      <div className="step-id">{data.stepId}</div>
      {data.description && <div className="step-desc">{data.description}</div>}
      <div className="step-status">
        <span className="dot" aria-hidden="true" /> {STATUS_TEXT[state.status]}
      </div>
      {state.error && (
        <div className="step-error" title={state.error.message}>
          <code>{state.error.code}</code>
        </div>
      )}
      <Handle type="source" position={Position.Right} id="out" isConnectable={false} />
      <Handle type="source" position={Position.Bottom} id="under-out" isConnectable={false} style={{ left: '70%' }} />
    </div>
  );
}

const nodeTypes = { step: StepNode };
const BOX_WIDTH = 200;
/** Room between two boxes for the longest label on the edges joining them (about 6 px a character at the canvas's size). */
const gapFor = (label: number) => Math.max(70, label * 6 + 40);

export function WorkflowCanvas({ definition, states }: { definition: WorkflowDefinition; states: Record<string, BoxState> }) {
  const graph = useMemo(() => workflowGraph(definition), [definition]);
  // Each box's size as React Flow measured it, given back with the boxes: a box passed without it is hidden until it
  // is measured anew, which a status change alone does not always bring about.
  const [sizes, setSizes] = useState<{ of: string; size: Record<string, { width: number; height: number }> }>({ of: definition.name, size: {} });
  const measured = sizes.of === definition.name ? sizes.size : {};
  const onNodesChange = useCallback(
    (changes: NodeChange<Node<StepNodeData>>[]) => {
      const next = changes.flatMap((c) => (c.type === 'dimensions' && c.dimensions ? [[c.id, c.dimensions] as const] : []));
      if (next.length > 0) setSizes((s) => ({ of: definition.name, size: { ...(s.of === definition.name ? s.size : {}), ...Object.fromEntries(next) } }));
    },
    [definition.name],
  );
  const xs = graph.boxes.reduce<number[]>((at, b, i) => {
    if (i === 0) return [0];
    const prev = graph.boxes[i - 1]!.id;
    const between = graph.edges.filter((e) => e.skips === 0 && e.from === prev && e.to === b.id);
    return [...at, at[i - 1]! + BOX_WIDTH + gapFor(Math.max(0, ...between.map((e) => e.label.length)))];
  }, []);
  const nodes: Node<StepNodeData>[] = graph.boxes.map((b, i) => ({
    id: b.id,
    type: 'step',
    position: { x: xs[i]!, y: 0 },
    data: { stepId: b.id, kind: b.kind, description: b.description, state: states[b.id] ?? { status: 'pending' } },
    draggable: false,
    connectable: false,
    ...(measured[b.id] && { measured: measured[b.id] }),
  }));
  const edges: Edge[] = graph.edges.map((e) => {
    const done = states[e.from]?.status === 'done';
    return {
      id: e.id,
      source: e.from,
      target: e.to,
      ...(e.label && { label: e.label }),
      type: e.skips > 0 ? 'smoothstep' : 'default',
      sourceHandle: e.skips > 0 ? 'under-out' : 'out',
      targetHandle: e.skips > 0 ? 'under-in' : 'in',
      animated: states[e.to]?.status === 'running',
      className: [done && 'edge-done', e.order && 'edge-order'].filter(Boolean).join(' ') || undefined,
      labelBgPadding: [4, 2] as [number, number],
      ...(e.skips > 0 && { pathOptions: { offset: 40 + 20 * e.skips } }),
    };
  });
  return (
    <div className="canvas" aria-label={`Workflow ${definition.name}`} role="figure">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        fitView
        key={definition.name}
        fitViewOptions={{ padding: 0.15 }}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={false}
        zoomOnScroll={false}
        preventScrolling={false}
      >
        <Background gap={20} size={1} />
      </ReactFlow>
    </div>
  );
}
