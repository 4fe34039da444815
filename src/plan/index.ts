// plan/ owns what changes between desired states and against the inventory: pure functions by resource and object key.
// It must not do I/O of any kind: no Git, no store, no cluster, no clock.
export { diffStates, isEmptyDiff, type ResourceChange, type StateDiff } from './diff-states.ts';
export { diffFields, type FieldChange } from './field-diff.ts';
export { diffJson } from './diff-json.ts';
export { buildPreview, type ObjectAction, type Preview, type PreviewChange, type PreviewObject, type PreviewObjectRef, type PreviewProjector, type PreviewResource } from './preview.ts';
export { previewMarkdown, COMMENT_LIMIT, PREVIEW_MARKER, type MarkdownOptions } from './preview-markdown.ts';
export { groupOf, keyText, keyTextOf, objectKey, type ObjectKey } from './object-key.ts';
export { countChanges, syncOf, type Change, type ChangeAction, type ChangeSet } from './change-set.ts';
export {
  contentHashOf, planObjects, PLATFORM_SOURCE_KEY, sourceKeyOf, targetKey, targetOf,
  type InventoryView, type ObjectPlan, type PlanOptions, type PlanScope, type RenderedGroups,
} from './object-plan.ts';
