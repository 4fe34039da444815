/**
 * Spec §6.6 budget check. Rates are USD per token; a provider config's spec.modelRates overrides the defaults.
 */

export interface ModelRate {
  input: number;
  output: number;
}

export const DEFAULT_RATES: Record<string, ModelRate> = {
  'claude-sonnet': { input: 3e-6, output: 15e-6 },
  'claude-opus': { input: 15e-6, output: 75e-6 },
  'claude-haiku': { input: 1e-6, output: 5e-6 },
  'gpt-4o': { input: 2.5e-6, output: 10e-6 },
};
/** Used when neither the provider config nor the defaults know the model: err on the expensive side. */
const FALLBACK_RATE: ModelRate = { input: 15e-6, output: 75e-6 };
/** A run is assumed to spend at most this much per second of wall time; it turns money into a deadline. */
export const DEFAULT_COST_PER_SECOND_USD = 0.01;

export function rateFor(model: string, modelRates?: Record<string, ModelRate>): ModelRate {
  return modelRates?.[model] ?? DEFAULT_RATES[model] ?? FALLBACK_RATE;
}

export function estimateCost(rate: ModelRate, inputTokens: number, outputTokens: number): number {
  return inputTokens * rate.input + outputTokens * rate.output;
}

export interface BudgetInput {
  model: string;
  modelRates?: Record<string, ModelRate>;
  estimatedInputTokens: number;
  estimatedOutputTokens: number;
  /** Organization spec.budgetLimitUsd; undefined means no ceiling. */
  budgetLimitUsd?: number;
  /** Cost already recorded by the org's runs in the budget period. */
  spentUsd: number;
  costPerSecondUsd?: number;
  /** Upper bound on a Job's deadline whatever the budget. */
  maxDeadlineSeconds?: number;
}

export type BudgetResult =
  | { allowed: true; estimatedCostUsd: number; remainingUsd: number | null; activeDeadlineSeconds: number }
  | { allowed: false; reason: 'budget-exceeded'; estimatedCostUsd: number; remainingUsd: number };

export function checkBudget(input: BudgetInput): BudgetResult {
  const estimatedCostUsd = estimateCost(rateFor(input.model, input.modelRates), input.estimatedInputTokens, input.estimatedOutputTokens);
  const maxDeadline = input.maxDeadlineSeconds ?? 3600;
  if (input.budgetLimitUsd === undefined) {
    return { allowed: true, estimatedCostUsd, remainingUsd: null, activeDeadlineSeconds: maxDeadline };
  }
  const remainingUsd = Math.max(0, input.budgetLimitUsd - input.spentUsd);
  if (estimatedCostUsd > remainingUsd) return { allowed: false, reason: 'budget-exceeded', estimatedCostUsd, remainingUsd };
  const perSecond = input.costPerSecondUsd ?? DEFAULT_COST_PER_SECOND_USD;
  const activeDeadlineSeconds = Math.max(1, Math.min(maxDeadline, Math.floor(remainingUsd / perSecond)));
  return { allowed: true, estimatedCostUsd, remainingUsd, activeDeadlineSeconds };
}
