/** Every BullMQ queue and job name in one place. */
export enum QueueName {
  Mail = 'mail',
  Media = 'media',
}

export enum MailJob {
  RegistrationOtp = 'registration-otp',
  PasswordResetOtp = 'password-reset-otp',
  PasswordChanged = 'password-changed',
}

export enum MediaJob {
  /** Makes the thumbnail of one ready image (job id derived from the media id). */
  Thumbnail = 'thumbnail',
  /** Deletes stale pending uploads, object and record (run by a job scheduler). */
  CleanupPending = 'cleanup-pending',
}

/** The id of the job scheduler that repeats MediaJob.CleanupPending. */
export const MEDIA_CLEANUP_SCHEDULER_ID = 'media-cleanup-pending';
