// Manifests: load (YAML/JSON, multi-document, List, directories), default as the API server does,
// validate as the API server does (kubectl-worded errors, warnings for fields ignored on one node),
// and Kubernetes resource quantities.
export { loadManifests, manifestFiles, parseManifests } from './load.js';
export { applyDefaults, defaultPullPolicy } from './defaults.js';
export { validateManifest, checkKind, objectName, sourceOf, SUPPORTED_KINDS, type ValidationResult } from './validate.js';
export { ManifestError, formatErrors, type FieldError } from './errors.js';
export {
  parseQuantity,
  parseQuantityValue,
  parseResource,
  milliValue,
  value as quantityValue,
  formatQuantity,
  compareQuantities,
  QuantityError,
  type Quantity,
  type QuantityFormat,
} from './quantity.js';
