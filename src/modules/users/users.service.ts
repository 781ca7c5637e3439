import { Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { AppException } from '../../common/errors/app.exception';
import { toSelfUser, type SelfUserDto } from './users.mapper';
import { UniqueViolation, UsersRepository } from './users.repository';

/** The account data other modules may read: credentials included, for auth only. */
export interface UserAccount {
  id: string;
  username: string;
  email: string;
  passwordHash: string;
}

@Injectable()
export class UsersService {
  constructor(private readonly users: UsersRepository) {}

  async findAccountByLogin(login: string): Promise<UserAccount | undefined> {
    const row = login.includes('@')
      ? await this.users.findByEmail(login.trim().toLowerCase())
      : await this.users.findByUsername(login.trim());
    return (
      row && {
        id: row.id,
        username: row.username,
        email: row.email,
        passwordHash: row.passwordHash,
      }
    );
  }

  async findAccountById(id: string): Promise<UserAccount | undefined> {
    const row = await this.users.findById(id);
    return (
      row && {
        id: row.id,
        username: row.username,
        email: row.email,
        passwordHash: row.passwordHash,
      }
    );
  }

  async getSelf(id: string): Promise<SelfUserDto> {
    const row = await this.users.findById(id);
    if (!row) throw new AppException('NOT_FOUND', 'User not found');
    return toSelfUser(row);
  }

  /** Throws USERNAME_TAKEN / EMAIL_TAKEN when either is already registered (username case-insensitively). */
  async assertAvailable(username: string, email: string): Promise<void> {
    if (await this.users.findByUsername(username))
      throw new AppException('USERNAME_TAKEN', 'That username is taken');
    if (await this.users.findByEmail(email))
      throw new AppException('EMAIL_TAKEN', 'That email is already registered');
  }

  async createAccount(input: {
    username: string;
    email: string;
    passwordHash: string;
  }): Promise<SelfUserDto> {
    try {
      const row = await this.users.insert({ id: uuidv7(), ...input });
      return toSelfUser(row);
    } catch (error) {
      if (error instanceof UniqueViolation) {
        throw error.constraint.includes('email')
          ? new AppException('EMAIL_TAKEN', 'That email is already registered')
          : new AppException('USERNAME_TAKEN', 'That username is taken');
      }
      throw error;
    }
  }

  async changePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.users.updatePasswordHash(id, passwordHash);
  }
}
