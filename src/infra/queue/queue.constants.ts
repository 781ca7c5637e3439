/** Every BullMQ queue and job name in one place. */
export enum QueueName {
  Mail = 'mail',
}

export enum MailJob {
  RegistrationOtp = 'registration-otp',
  PasswordResetOtp = 'password-reset-otp',
  PasswordChanged = 'password-changed',
}
