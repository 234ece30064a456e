import type { ComponentName, ComponentParams, ComponentResult } from '@wr/api';
import type { CallContext, WorkspaceContext } from '../context.js';

export type Handler<C extends ComponentName> = (ws: WorkspaceContext, call: CallContext, params: ComponentParams<C>) => Promise<ComponentResult<C>>;

export type Handlers = { [C in ComponentName]: Handler<C> };
