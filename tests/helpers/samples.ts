import type { ImpactAssessment } from '../../domain/assessment';
import type { RiskRegister } from '../../domain/risk';
import type { IntakeRequestInput } from '../../domain/system';

/** A complete impact assessment of a customer-service chatbot, with one medium harm. */
export const sampleAssessment = (overrides: Partial<ImpactAssessment> = {}): ImpactAssessment => ({
  scope: 'The support chatbot on the public website, answering questions about orders',
  system: {
    description: 'A vendor language model answering customers, with hand-over to agents',
    functionalities: 'Answers questions, looks up order status, hands over to a person',
    purpose: 'Shorter waits for customers',
    intendedUses: ['order status questions'],
    unintendedUses: ['legal or medical advice'],
  },
  data: { description: 'Customer messages and order records', quality: 'Order records are the system of record; messages are not kept' },
  model: { description: 'Vendor-hosted large language model, no fine-tuning' },
  deployment: { environment: 'Website chat widget', geographies: ['EU'], languages: ['en', 'de'] },
  interestedParties: ['customers', 'support agents'],
  impacts: [
    { description: 'Faster answers', on: 'individuals', kind: 'benefit', severity: 'medium', likelihood: 'likely' },
    { description: 'Wrong order information given', on: 'individuals', kind: 'harm', severity: 'medium', likelihood: 'possible' },
  ],
  failuresAndMisuse: ['hallucinated delivery dates', 'prompt injection through messages'],
  measures: ['hand-over button', 'answers cite the order record'],
  ...overrides,
});

/** A risk register with one mitigated risk of the given residual rating and one accepted low risk. */
export const sampleRiskRegister = (residual: 'low' | 'medium' | 'high' = 'low'): RiskRegister => ({
  risks: [
    {
      id: 'R1',
      title: 'Wrong order information given to customers',
      source: 'model hallucination',
      likelihood: 'possible',
      impact: 'high',
      treatment: 'mitigate',
      controls: ['A.6.2.4', 'A.8.2'],
      residual,
      owner: 'risk',
    },
    {
      id: 'R2',
      title: 'Chat transcripts kept longer than needed',
      source: 'vendor retention default',
      likelihood: 'rare',
      impact: 'low',
      treatment: 'accept',
      controls: [],
      residual: 'low',
      owner: 'owner',
      acceptanceExpiresAt: '2027-06-30T00:00:00Z',
    },
  ],
});

/** A low-tier intake of a vendor's invoice summariser. */
/** An intake as a client sends it: answers left out take their defaults at the door. */
export const sampleIntake = (overrides: Partial<IntakeRequestInput> = {}): IntakeRequestInput => ({
  name: 'Invoice summariser',
  purpose: 'Summarises supplier invoices for the accounts payable team',
  businessUnit: 'Finance',
  provenance: 'vendor',
  vendor: 'Acme AI',
  useCategory: 'analytics',
  impactAreas: [],
  dataCategories: [],
  decisionRole: 'informational',
  humanOversight: 'in_the_loop',
  affectedParties: ['accounts payable staff'],
  ...overrides,
});
