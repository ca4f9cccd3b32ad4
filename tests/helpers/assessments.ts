import type { ImpactAssessment } from '../../domain/assessment';

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
